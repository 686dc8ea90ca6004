// A service in its own process, as a user runs it (the built package): `node hsm-service.js
// <options JSON>` prints {"port":N} once listening. Options: { configFile, port }. Its signing
// key may live in a PKCS#11 token (SOFTHSM2_CONF and the PIN variable come from the environment).
// Routes: the metadata router; GET /whoami (the protected route: the principal's partner, kind
// and user); POST /call?url=U[&user=UPN] (calls U through s2s.fetch(), answers its status and
// body, or the PartnerFetchError code); GET /events (signing and outbound events so far).
const express = require('express');
const { createS2SAuth, loadConfig } = require('s2s-oauth');

const options = JSON.parse(process.argv[2]);
const events = [];
const s2s = createS2SAuth(loadConfig(options.configFile), { onEvent: (e) => events.push(e) });
const call = s2s.fetch();

async function main() {
  await s2s.ready();
  const app = express();
  app.use(s2s.metadataRouter());
  app.get('/whoami', s2s.middleware(), (req, res) =>
    res.json({ partner: req.user.partner, kind: req.user.kind, user: req.user.user?.upn }),
  );
  app.post('/call', async (req, res) => {
    try {
      const answer = await call(
        String(req.query.url),
        req.query.user ? { actAs: { upn: String(req.query.user) } } : {},
      );
      res.json({ status: answer.status, body: await answer.json().catch(() => null) });
    } catch (error) {
      res.json({ error: error.code ?? error.name });
    }
  });
  app.get('/events', (_req, res) => res.json(events));
  app.use(s2s.errorHandler());
  const server = app.listen(options.port ?? 0, '127.0.0.1', () =>
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
  );
  process.on('SIGTERM', () => {
    server.close();
    s2s.close().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
});
