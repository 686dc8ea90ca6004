// The application the kit's example tests exercise: a contacts service that partners call on
// behalf of users, built from a configuration it is given (so tests can hand it theirs).
const express = require('express');
const { createS2SAuth } = require('s2s-oauth');

function createContactsApp(config) {
  const s2s = createS2SAuth(config);
  const app = express();
  app.use(express.json());
  // A user's contacts: only a partner acting for that user may add one.
  app.post(
    '/contacts/:user',
    s2s.middleware(),
    s2s.requireUser(),
    s2s.requirePermission('contacts.write'),
    (req, res) => {
      const user = req.user.user.upn ?? req.user.user.id;
      if (user.split('@')[0] !== req.params.user) return res.status(403).json({ code: 'not_your_contacts' });
      res.status(201).json({ savedFor: user, by: req.user.partner, contact: req.body });
    },
  );
  // How many users there are: a partner calling as itself.
  app.get('/stats', s2s.middleware(), s2s.requireAppOnly(), (req, res) =>
    res.json({ users: 2, askedBy: req.user.partner }),
  );
  app.use(s2s.errorHandler());
  return { app, s2s };
}

module.exports = { createContactsApp };
