// scheduler: the meeting-scheduling role. Its users (demo-only header) schedule conferences,
// which it books on im on behalf of the user through the partner fetch wrapper.
const { join } = require('node:path');
const express = require('express');
const { createS2SAuth, loadConfig } = require('s2s-oauth');
const { demoUser } = require('../lib/demo-user');
const { serve } = require('../lib/serve');
const { errorHandler, relay } = require('../lib/error-handler');

function createSchedulerApp({ env = process.env } = {}) {
  const s2s = createS2SAuth(loadConfig(join(__dirname, 's2s.json'), { env }));
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

if (require.main === module) serve('scheduler', createSchedulerApp().app);

module.exports = { createSchedulerApp };
