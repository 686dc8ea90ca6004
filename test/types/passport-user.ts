// Compiled by `npm test` against the built package with skipLibCheck: false: a Passport user's
// code type-checks with no @types package of ours, `req.user` is the Principal, `req.s2sError`
// the refusal.
import express from 'express';
import passport from 'passport';
import { createS2SAuth, TokenError, type Principal, type TokenErrorCode } from 's2s-oauth';

const s2s = createS2SAuth({
  serviceName: 'x',
  realm: 'contoso.com',
  hostnames: ['x.contoso.com'],
  signing: { certificate: 'c.pem', privateKey: { env: 'KEY' } },
});
passport.use(s2s.strategy());
const app = express();
app.get(
  '/contacts',
  passport.authenticate('s2s', { session: false, failWithError: true }),
  s2s.requireUser(),
  (req, res) => {
    const principal: Principal | undefined = req.user;
    const user: string | undefined = req.user?.user?.id;
    res.json({ partner: principal?.partner, user, permissions: req.user?.permissions });
  },
);
app.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
  const refusal = req.s2sError ?? (err instanceof TokenError ? err : undefined);
  if (!refusal) return next(err);
  const code: TokenErrorCode = refusal.code;
  res.status(refusal.status).set(refusal.headers).json({ error: refusal.error, code });
});
