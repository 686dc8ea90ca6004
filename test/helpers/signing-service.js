// A service in its own process whose signing files are watched (the built package, as a user
// runs it). `node signing-service.js <options JSON>` prints {"port":N}. Options: { config,
// leadTimeSeconds, audience }. Routes: the metadata router, GET /mint (a token for `audience`),
// GET /events (the signing_certificate events so far).
const express = require('express');
const { createS2SAuth } = require('s2s-oauth');

const options = JSON.parse(process.argv[2]);
const events = [];
const s2s = createS2SAuth(options.config, {
  watchSigningFiles: { leadTimeSeconds: options.leadTimeSeconds },
  onEvent: (e) => e.type === 'signing_certificate' && events.push(e),
});
const app = express();
app.use(s2s.metadataRouter());
app.get('/mint', (_req, res) => {
  s2s.issuer.mint({ audience: options.audience }).then((m) => res.json({ token: m.token }));
});
app.get('/events', (_req, res) => res.json(events));
const server = app.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
process.on('SIGTERM', () => {
  server.close();
  s2s.close().finally(() => process.exit(0));
});
