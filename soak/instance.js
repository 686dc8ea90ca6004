// One instance of a fleet, in its own process, as a service would run it: the built package,
// node-redis, and Redis shared with the other instances. Run by the soak (soak/run.js) and by the
// fleet tests (test/helpers/fleet-process.ts). `node soak/instance.js <options JSON>` prints
// {"port":N} once listening. Options: { redisUrl, config (a service configuration) or configFile
// (read with loadConfig, reloaded by POST /admin/reload), watchConfigFile, replay: 'redis' |
// 'memory', namespace, port (default: an ephemeral one), calleeUrl (for GET /call-out) }.
// Routes: GET /whoami (the protected route), GET /call-out (calls calleeUrl through s2s.fetch()),
// POST /admin/<enable|disable|remove>/<partner> (503 when the change did not reach the fleet
// store), POST /admin/reload, and the metadata router.
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
  let lastRecord;
  const s2s = createS2SAuth(options.config ?? loadConfig(options.configFile), {
    fleet: redisFleet({ client, namespace: options.namespace }),
    ...(options.replay === 'redis' && { replayStore: new RedisReplayStore({ client, namespace: options.namespace }) }),
    ...(options.configFile && { configFile: options.configFile, watchConfigFile: options.watchConfigFile === true }),
    onEvent: (event) => {
      if (event.type === 'fleet' && (event.outcome === 'recorded' || event.outcome === 'record_failed'))
        lastRecord = event.outcome;
    },
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
  app.post('/admin/reload', (_req, res) => {
    try {
      res.json(s2s.reload());
    } catch (error) {
      res.status(400).json({ error: error.message });
    }
  });
  app.post('/admin/:op/:partner', (req, res) => {
    const { op, partner } = req.params;
    try {
      if (op === 'disable') s2s.partners.disable(partner);
      else if (op === 'enable') s2s.partners.enable(partner);
      else if (op === 'remove') s2s.partners.remove(partner);
      else return res.status(404).end();
    } catch (error) {
      return res.status(400).json({ error: error.message });
    }
    s2s
      .flushPartnerChanges()
      .then(() => res.status(lastRecord === 'recorded' ? 200 : 503).json({ recorded: lastRecord }));
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
