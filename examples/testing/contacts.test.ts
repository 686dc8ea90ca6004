// Route tests of the contacts app with `s2s-oauth/testing`, in jest, as the README shows them.
import request from 'supertest';
import { createTestPartner, createTestService, type TestPartner } from 's2s-oauth/testing';
import type { S2SConfigInput } from 's2s-oauth';
import { createContactsApp } from './contacts-app';

let messaging: TestPartner;
let config: S2SConfigInput;
let app: ReturnType<typeof createContactsApp>['app'];

beforeAll(async () => {
  messaging = await createTestPartner({
    name: 'messaging',
    trustLevel: 'Full',
    permissions: ['contacts.write'],
    legacyTokens: true, // it also speaks Microsoft's legacy user tokens
  });
  config = await createTestService({ partners: [messaging.partnerConfig] });
  ({ app } = createContactsApp(config));
});

test('a Full-trust partner acting for alice gets 201', async () => {
  const token = await messaging.mint({ audience: config, user: 'alice@contoso.com' });
  const res = await request(app).post('/contacts/alice').auth(token, { type: 'bearer' }).send({ name: 'Bob' });
  expect(res.status).toBe(201);
  expect(res.body).toEqual({ savedFor: 'alice@contoso.com', by: 'messaging', contact: { name: 'Bob' } });
});

test('the legacy form (an unsigned outer token around the signed actor token) is accepted too', async () => {
  const token = await messaging.mint({ audience: config, user: 'alice@contoso.com', legacy: true });
  await request(app).post('/contacts/alice').auth(token, { type: 'bearer' }).expect(201);
});

test('a partner calling as itself (app-only) reads the stats, but may not write contacts', async () => {
  const token = await messaging.mint({ audience: config });
  await request(app).get('/stats').auth(token, { type: 'bearer' }).expect(200, { users: 2, askedBy: 'messaging' });
  const res = await request(app).post('/contacts/alice').auth(token, { type: 'bearer' });
  expect([res.status, res.body.code]).toEqual([403, 'user_context_required']);
});

test('an unknown partner gets 401 unknown_partner', async () => {
  const stranger = await createTestPartner({ trustLevel: 'Full' });
  const token = await stranger.mint({ audience: config, user: 'alice@contoso.com' });
  const res = await request(app).post('/contacts/alice').auth(token, { type: 'bearer' });
  expect([res.status, res.body.code]).toEqual([401, 'unknown_partner']);
});

test('an expired token gets 401 token_expired', async () => {
  const token = await messaging.mint({ audience: config, user: 'alice@contoso.com', expiresIn: -120 });
  const res = await request(app).post('/contacts/alice').auth(token, { type: 'bearer' });
  expect([res.status, res.body.code]).toEqual([401, 'token_expired']);
});

test('a token for another service gets 401 audience_mismatch', async () => {
  const elsewhere = await createTestService();
  const token = await messaging.mint({ audience: elsewhere, user: 'alice@contoso.com' });
  const res = await request(app).post('/contacts/alice').auth(token, { type: 'bearer' });
  expect([res.status, res.body.code]).toEqual([401, 'audience_mismatch']);
});

test('a partner configured by its metadata URL is trusted through its published keys', async () => {
  const scheduler = await createTestPartner({ name: 'scheduler', trustLevel: 'Full', permissions: ['contacts.write'] });
  const metadata = await scheduler.serveMetadata();
  try {
    const service = await createTestService({ partners: [metadata.partnerConfig] }, { allowLoopbackHttp: true });
    const { app: viaMetadata, s2s } = createContactsApp(service);
    const token = await scheduler.mint({ audience: service, user: 'bob@contoso.com' });
    await request(viaMetadata).post('/contacts/bob').auth(token, { type: 'bearer' }).expect(201);
    await s2s.close();
  } finally {
    await metadata.close();
  }
});
