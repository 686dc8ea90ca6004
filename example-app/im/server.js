// im: the messaging-server role. Its users (demo-only header) manage their contacts, which live in
// mail's unified contact store, and archive conversations there as mail, all through the partner
// fetch wrapper on behalf of the user. It is also called: scheduler books conferences on it.
const { join } = require('node:path');
const express = require('express');
const passport = require('passport');
const { createS2SAuth, loadConfig } = require('s2s-oauth');
const { demoUser } = require('../lib/demo-user');
const { serve } = require('../lib/serve');
const { errorHandler, relay } = require('../lib/error-handler');

function createImApp({ env = process.env } = {}) {
  const s2s = createS2SAuth(loadConfig(join(__dirname, 's2s.json'), { env }));
  const mail = s2s.fetch();
  const mailUrl = env.MAIL_URL;
  const conferences = [];
  const asUser = (req) => ({ upn: req.demoUser });
  const json = (value) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

  const app = express();
  app.use(s2s.metadataRouter());
  app.get('/health', (_req, res) => res.json({ ok: true }));

  // The user-facing API (users identified by the demo-only header).
  const me = express.Router();
  me.use(demoUser, express.json({ limit: '256kb' }));
  me.get('/contacts', async (req, res) => relay(res, await mail(`${mailUrl}/contacts`, { actAs: asUser(req) })));
  me.post('/contacts', async (req, res) =>
    relay(res, await mail(`${mailUrl}/contacts`, { method: 'POST', ...json(req.body), actAs: asUser(req) })),
  );
  me.delete('/contacts/:address', async (req, res) =>
    relay(
      res,
      await mail(`${mailUrl}/contacts/${encodeURIComponent(req.params.address)}`, {
        method: 'DELETE',
        actAs: asUser(req),
      }),
    ),
  );
  me.post('/conversations/:id/archive', async (req, res) => {
    const { with: peer, messages } = req.body ?? {};
    if (typeof peer !== 'string' || !Array.isArray(messages))
      return res
        .status(400)
        .json({ error: 'invalid_request_body', message: 'expected { with, messages: [{ from, text, at }] }' });
    const transcript = messages.map((m) => `[${m.at}] ${m.from}: ${m.text}`).join('\n');
    const item = { subject: `Conversation ${req.params.id} with ${peer}`, body: transcript, sender: 'im@contoso.com' };
    return relay(res, await mail(`${mailUrl}/archive`, { method: 'POST', ...json(item), actAs: asUser(req) }));
  });
  me.get('/archive', async (req, res) => relay(res, await mail(`${mailUrl}/archive`, { actAs: asUser(req) })));
  me.get('/conferences', (req, res) =>
    res.json({ conferences: conferences.filter((c) => c.organizer === req.demoUser) }),
  );
  app.use('/me', me);

  // The partner-facing API: scheduler books conferences for a user (im trusts it with Full trust).
  const authenticator = new passport.Passport().use(s2s.strategy());
  app.post(
    '/conferences',
    authenticator.initialize(),
    authenticator.authenticate('s2s', { session: false, failWithError: true }),
    s2s.requireUser(),
    s2s.requirePermission('conferences.write'),
    express.json(),
    (req, res) => {
      const { subject, start } = req.body ?? {};
      if (typeof subject !== 'string' || subject === '')
        return res.status(400).json({ error: 'invalid_request_body', message: 'subject: expected a non-empty string' });
      const conference = {
        id: conferences.length + 1,
        subject,
        start: String(start ?? ''),
        organizer: req.user.user.upn.toLowerCase(),
        bookedBy: req.user.partner,
        joinUrl: `im:conference/${conferences.length + 1}`,
      };
      conferences.push(conference);
      return res.status(201).json(conference);
    },
  );

  app.use(errorHandler);
  return { app, s2s };
}

if (require.main === module) serve('im', createImApp().app);

module.exports = { createImApp };
