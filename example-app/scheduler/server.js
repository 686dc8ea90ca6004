// scheduler: the meeting-scheduling role. Its users (demo-only header) schedule conferences,
// which it books on im on behalf of the user through the partner fetch wrapper.
const { join } = require('node:path');
const express = require('express');
const { createS2SAuth } = require('s2s-oauth');
const { loadServiceConfig } = require('../lib/service-config');
const { demoUser } = require('../lib/demo-user');
const { errorHandler, relay } = require('../lib/error-handler');

function createSchedulerApp({ env = process.env } = {}) {
  const s2s = createS2SAuth(loadServiceConfig(join(__dirname, 's2s.json'), env));
  const im = s2s.fetch();
  const app = express();
  app.use(s2s.metadataRouter());
  app.get('/health', (_req, res) => res.json({ ok: true }));
  app.post('/me/meetings', demoUser, express.json(), async (req, res) => {
    const { subject, start } = req.body ?? {};
    const booked = await im(`${env.IM_URL}/conferences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, start }),
      actAs: { upn: req.demoUser },
    });
    return relay(res, booked);
  });
  app.use(errorHandler);
  return { app, s2s };
}

if (require.main === module) {
  const { app } = createSchedulerApp();
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(JSON.stringify({ service: 'scheduler', url: `http://127.0.0.1:${server.address().port}` }));
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

module.exports = { createSchedulerApp };
