// One instance of a fleet, in its own process, as a service would run it: the built package,
// node-redis, and Redis shared with the other instances. `node fleet-instance.js <options JSON>`
// prints {"port":N} once listening. Options: { redisUrl, config (a service configuration),
// replay: 'redis' | 'memory', namespace }.
// Test-only routes: GET /whoami (the protected route), POST /admin/<enable|disable>/<partner>.
const { createClient } = require('redis');
const express = require('express');
const { createS2SAuth } = require('s2s-oauth');
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
  const s2s = createS2SAuth(options.config, {
    fleet: redisFleet({ client, namespace: options.namespace }),
    ...(options.replay === 'redis' && { replayStore: new RedisReplayStore({ client, namespace: options.namespace }) }),
  });
  await s2s.ready();
  const app = express();
  app.get('/whoami', s2s.middleware(), (req, res) => res.json({ partner: req.user.partner }));
  app.post('/admin/:op/:partner', (req, res) => {
    if (req.params.op === 'disable') s2s.partners.disable(req.params.partner);
    else s2s.partners.enable(req.params.partner);
    s2s.flushPartnerChanges().then(() => res.json({ ok: true }));
  });
  app.use(s2s.errorHandler());
  const server = app.listen(0, '127.0.0.1', () =>
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
