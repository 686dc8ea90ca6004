// mail: the Exchange role. A unified contact store and an archive per user, reachable only by
// partner applications with s2s-oauth tokens: im (Full trust, configured by its metadata URL)
// and scheduler (User trust: it may never call as itself, nor name a user on its own authority).
const { join } = require('node:path');
const express = require('express');
const passport = require('passport');
const { createS2SAuth, loadConfig } = require('s2s-oauth');
const { serve } = require('../lib/serve');
const { errorHandler } = require('../lib/error-handler');
const { MailStore } = require('./mail-store');

const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** A 400 naming the field that is wrong. */
function invalid(field, expected) {
  return Object.assign(new Error(`${field}: expected ${expected}`), { status: 400, code: 'invalid_request_body' });
}

/** The mail app; `config` replaces s2s.json (route tests pass one made with s2s-oauth/testing). */
function createMailApp({ env = process.env, config = loadConfig(join(__dirname, 's2s.json'), { env }) } = {}) {
  // The library logs what an operator needs (start-up summary, key-source trouble, refusals at debug).
  const s2s = createS2SAuth(config, { logger: console });
  const store = new MailStore(join(env.DATA_DIR, 'mail.db'));
  const authenticator = new passport.Passport().use(s2s.strategy());
  const partnerCall = [
    authenticator.initialize(),
    authenticator.authenticate('s2s', { session: false, failWithError: true }),
    s2s.requireUser(),
  ];
  // The mailbox is the token's user: nobody can address another user's mailbox in a URL.
  const owner = (req) => (req.user.user.upn ?? req.user.user.smtp ?? req.user.user.id).toLowerCase();
  const by = (req) => req.user.partner;

  const app = express();
  app.use(s2s.metadataRouter());
  app.get('/health', (_req, res) => res.json({ ok: true }));

  app.get('/contacts', ...partnerCall, s2s.requirePermission('contacts.read'), (req, res) => {
    res.json({ owner: owner(req), contacts: store.listContacts(owner(req)) });
  });
  // Bodies are parsed only after the token is accepted: a refused request costs no parsing.
  app.post(
    '/contacts',
    ...partnerCall,
    s2s.requirePermission('contacts.write'),
    express.json({ limit: '16kb' }),
    (req, res) => {
      const { address, name } = req.body ?? {};
      if (typeof address !== 'string' || !EMAIL.test(address)) throw invalid('address', 'an e-mail address');
      if (typeof name !== 'string' || name.trim() === '' || name.length > 200)
        throw invalid('name', 'a non-empty string of at most 200 characters');
      store.addContact(owner(req), { address: address.toLowerCase(), name: name.trim() }, by(req));
      res.status(201).json({ owner: owner(req), address: address.toLowerCase(), name: name.trim() });
    },
  );
  app.delete('/contacts/:address', ...partnerCall, s2s.requirePermission('contacts.write'), (req, res) => {
    const removed = store.removeContact(owner(req), req.params.address.toLowerCase());
    res.status(removed ? 204 : 404).end();
  });

  app.post(
    '/archive',
    ...partnerCall,
    s2s.requirePermission('archive.write'),
    express.json({ limit: '256kb' }),
    (req, res) => {
      const { subject, body, sender } = req.body ?? {};
      if (typeof subject !== 'string' || subject.trim() === '') throw invalid('subject', 'a non-empty string');
      if (typeof body !== 'string') throw invalid('body', 'a string');
      if (typeof sender !== 'string' || sender === '') throw invalid('sender', 'a non-empty string');
      const id = store.archive(owner(req), { subject, body, sender }, by(req));
      res.status(201).json({ id, owner: owner(req), subject });
    },
  );
  app.get('/archive', ...partnerCall, s2s.requirePermission('archive.read'), (req, res) => {
    res.json({ owner: owner(req), items: store.listArchive(owner(req)) });
  });

  app.use(errorHandler);
  return { app, store, s2s };
}

if (require.main === module) {
  const { app, store } = createMailApp();
  serve('mail', app, () => store.close());
}

module.exports = { createMailApp };
