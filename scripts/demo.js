// Interim demo (until example-app/ exists): two services on loopback. "messaging" publishes its
// metadata and mints tokens with its built-in issuer; "contacts" trusts it by that metadata URL,
// verifies through the s2s Passport strategy, and refuses what it must, with a stable code.
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');
const passport = require('passport');
const { createS2SAuth, createOAuthCertificate } = require('s2s-oauth');

const IDS = { contacts: '11111111-1111-4111-8111-111111111111', messaging: '22222222-2222-4222-8222-222222222222' };

async function signing(name) {
  const dir = mkdtempSync(join(tmpdir(), `s2s-demo-${name}-`));
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({ realm: 'contoso.com', name });
  writeFileSync(join(dir, 'cert.pem'), certificatePem);
  writeFileSync(join(dir, 'key.pem'), privateKeyPem, { mode: 0o600 });
  return { certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem') };
}

const listen = (app) => new Promise((resolve) => { const server = app.listen(0, '127.0.0.1', () => resolve(server)); });

async function main() {
  const messaging = createS2SAuth({ serviceName: IDS.messaging, realm: 'contoso.com', hostnames: ['127.0.0.1'], signing: await signing('messaging') });
  const messagingServer = await listen(express().use(messaging.metadataRouter()));
  const metadataUrl = `http://127.0.0.1:${messagingServer.address().port}/metadata/json/1`;

  const events = [];
  const contacts = createS2SAuth(
    {
      serviceName: IDS.contacts,
      realm: 'contoso.com',
      hostnames: ['127.0.0.1'],
      signing: await signing('contacts'),
      keySources: { allowInsecureHosts: ['127.0.0.1'] }, // loopback demo only: production partners use https
      partners: [{ name: 'messaging', trustLevel: 'Full', permissions: ['contacts.write'], keySource: { kind: 'metadata', url: metadataUrl } }],
    },
    { onEvent: (event) => events.push(event) },
  );
  const authenticator = new passport.Passport().use(contacts.strategy());
  const contactsApp = express();
  contactsApp.post('/contacts', authenticator.authenticate('s2s', { session: false }), contacts.requireUser(), contacts.requirePermission('contacts.write'), (req, res) => {
    res.status(201).json({ stored: 'bob@contoso.com', owner: req.user.user.id, by: req.user.partner });
  });
  contactsApp.use((err, _req, res, _next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code }));
  const contactsServer = await listen(contactsApp);
  const host = `127.0.0.1:${contactsServer.address().port}`;
  const audience = { principalId: IDS.contacts, host, realm: 'contoso.com' };
  const call = async (step, authorization) => {
    const res = await fetch(`http://${host}/contacts`, { method: 'POST', headers: authorization === undefined ? {} : { authorization } });
    const code = events.filter((e) => e.type === 'rejected').at(-1)?.code;
    const body = res.status < 300 ? JSON.stringify(await res.json()) : `code ${code}`;
    console.log(`${step} -> ${res.status} ${body}`);
    return res;
  };

  try {
    console.log(`contacts trusts messaging (Full) by its metadata URL ${metadataUrl}\n`);
    const discovery = await call('1. an empty "Authorization: Bearer" (realm discovery)', 'Bearer ');
    console.log(`   challenge: ${discovery.headers.get('www-authenticate')}`);
    const user = await messaging.issuer.mint({ audience, user: { upn: 'alice@contoso.com' } });
    await call('2. messaging stores a contact on behalf of alice@contoso.com', `Bearer ${user.token}`);
    const appOnly = await messaging.issuer.mint({ audience });
    await call('3. messaging calls as itself where a user is required', `Bearer ${appOnly.token}`);
    const outsider = await messaging.issuer.mint({ audience, user: { upn: 'mallory@fabrikam.com' } });
    await call('4. messaging names a user of another realm', `Bearer ${outsider.token}`);
    const [h, p, s] = user.token.split('.');
    await call('5. a token whose signature was tampered with', `Bearer ${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`);
    const other = await messaging.issuer.mint({ audience: { ...audience, principalId: IDS.messaging }, user: { upn: 'alice@contoso.com' } });
    await call('6. a token addressed to another service', `Bearer ${other.token}`);
    contacts.partners.disable('messaging');
    await call('7. the same good token after contacts disables messaging', `Bearer ${user.token}`);
  } finally {
    messagingServer.close();
    contactsServer.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
