// One service instance of the soak, in its own process, run as a service runs it: the built
// package, node-redis, Redis shared with the other instances, its configuration file watched.
// `node soak/instance.js <options JSON>` prints {"port":N} once listening.
// Options: { redisUrl, configFile, namespace, port, calleeUrl }.
// Routes: GET /whoami (protected), GET /call-out (calls the callee through s2s.fetch()),
// POST /admin/<enable|disable>/<partner>, and the metadata router.
const { createClient } = require('redis');
const express = require('express');
const { createS2SAuth, loadConfig } = require('s2s-oauth');
const { RedisReplayStore, redisFleet } = require('s2s-oauth/redis');

const options = JSON.parse(process.argv[2]);

async function main() {
  const client = createClient({
    url: options.redisUrl,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50, connectTimeout: 500 },
  });
  client.on('error', () => undefined);
  await client.connect();
  const s2s = createS2SAuth(loadConfig(options.configFile), {
    fleet: redisFleet({ client, namespace: options.namespace }),
    replayStore: new RedisReplayStore({ client, namespace: options.namespace }),
    configFile: options.configFile,
    watchConfigFile: true,
  });
  await s2s.ready();
  const partnerFetch = s2s.fetch();
  const app = express();
  app.use(s2s.metadataRouter({ maxAgeSeconds: 2 }));
  app.get('/whoami', s2s.middleware(), (req, res) => res.json({ partner: req.user.partner }));
  app.get('/call-out', async (_req, res) => {
    try {
      const answer = await partnerFetch(options.calleeUrl);
      res.json({ status: answer.status, code: (await answer.json().catch(() => ({}))).code });
    } catch (error) {
      res.json({ status: 0, code: error.code ?? error.name });
    }
  });
  app.post('/admin/:op/:partner', (req, res) => {
    const { op, partner } = req.params;
    if (op === 'disable') s2s.partners.disable(partner);
    else if (op === 'enable') s2s.partners.enable(partner);
    else return res.status(404).end();
    s2s.flushPartnerChanges().then(() => res.json({ ok: true }));
  });
  app.use(s2s.errorHandler());
  const server = app.listen(options.port ?? 0, '127.0.0.1', () =>
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
  );
  process.on('SIGTERM', () => {
    server.close();
    s2s
      .close()
      .then(() => client.destroy())
      .finally(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
