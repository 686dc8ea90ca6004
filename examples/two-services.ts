// Two services that trust each other, in one file you can run: `contacts` keeps users' contacts
// and accepts calls from `messaging`, which saves a contact on behalf of its user alice.
// (`npm test` compiles and runs this file, so it cannot rot.)
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createOAuthCertificate, createS2SAuth } from 's2s-oauth';

const REALM = 'contoso.com';
const CONTACTS_ID = '11111111-1111-4111-8111-111111111111';
const MESSAGING_ID = '22222222-2222-4222-8222-222222222222';

async function main(): Promise<void> {
  // Each service has its own OAuth certificate (in production: `npx s2s-oauth cert new`, and a
  // path or { env: 'NAME' } in the configuration instead of inline PEM).
  const contactsCert = await createOAuthCertificate({ realm: REALM, name: 'contacts' });
  const messagingCert = await createOAuthCertificate({ realm: REALM, name: 'messaging' });

  // --- the contacts service: trusts messaging, with Full trust, by its certificate -------------
  const contacts = createS2SAuth({
    serviceName: CONTACTS_ID,
    realm: REALM,
    hostnames: ['127.0.0.1'],
    signing: { certificate: { pem: contactsCert.certificatePem }, privateKey: { pem: contactsCert.privateKeyPem } },
    partners: [
      {
        name: 'messaging',
        applicationId: MESSAGING_ID,
        realm: REALM,
        trustLevel: 'Full',
        permissions: ['contacts.write'],
        keySource: { kind: 'certificate', certificates: [{ pem: messagingCert.certificatePem }] },
      },
    ],
  });
  const app = express();
  app.use(express.json());
  app.use(contacts.metadataRouter()); // GET /metadata/json/1 and /.well-known/jwks.json
  app.post(
    '/contacts/:user',
    contacts.middleware(),
    contacts.requireUser(),
    contacts.requirePermission('contacts.write'),
    (req, res) => {
      res.status(201).json({ savedFor: req.user!.user!.id, by: req.user!.partner, contact: req.body });
    },
  );
  app.use(contacts.errorHandler()); // refusals as { error, code }, with their status and challenge
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const contactsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // --- the messaging service: calls contacts on behalf of its users ----------------------------
  const messaging = createS2SAuth({
    serviceName: MESSAGING_ID,
    realm: REALM,
    hostnames: ['messaging.contoso.com'],
    signing: { certificate: { pem: messagingCert.certificatePem }, privateKey: { pem: messagingCert.privateKeyPem } },
    outbound: { allowInsecureHosts: ['127.0.0.1'] }, // loopback only; partners are https in production
    partners: [
      { name: 'contacts', applicationId: CONTACTS_ID, realm: REALM, trustLevel: 'Full', baseUrls: [contactsUrl] },
    ],
  });
  const callPartner = messaging.fetch(); // fetch's signature; finds the partner by URL, mints, caches

  const saved = await callPartner(`${contactsUrl}/contacts/alice`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bob', email: 'bob@contoso.com' }),
    actAs: { upn: 'alice@contoso.com' },
  });
  console.log('messaging -> contacts for alice:', saved.status, JSON.stringify(await saved.json()));

  const anonymous = await fetch(`${contactsUrl}/contacts/alice`, { method: 'POST' });
  console.log('anonymous -> contacts:', anonymous.status, JSON.stringify(await anonymous.json()));

  server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
