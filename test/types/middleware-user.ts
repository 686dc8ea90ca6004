// Compiled by `npm test` against the built package with skipLibCheck: false: a user of the plain
// middleware, without Passport or @types/passport, gets `req.user` typed as the Principal.
import express from 'express';
import { createS2SAuth, type S2SEvent } from 's2s-oauth';

const events: S2SEvent[] = [];
const s2s = createS2SAuth(
  {
    serviceName: 'x',
    hostnames: ['x.contoso.com'],
    signing: { certificate: { pem: '...' }, privateKey: { pem: '...' } },
  },
  { onEvent: (e) => events.push(e) },
);
const app = express();
app.get('/archive', s2s.middleware(), s2s.requireAppOnly(), (req, res) => {
  const partner: string | undefined = req.user?.partner;
  const kind: 'app' | 'user' | undefined = req.user?.kind;
  res.json({ partner, kind });
});
app.use(s2s.metadataRouter());
app.use(s2s.errorHandler());
