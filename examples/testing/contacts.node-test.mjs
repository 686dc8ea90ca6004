// The same route tests with `node:test` and fetch, no test framework to install:
// `node --test examples/testing/contacts.node-test.mjs`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestPartner, createTestService } from 's2s-oauth/testing';
import contactsApp from './contacts-app.js';

let messaging;
let config;
let contacts;

/** Serves an app on a free loopback port. */
async function listen(app) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Calls an app with a token and returns the status and the JSON body. */
async function call(method, path, token, url = contacts.url) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify({ name: 'Bob' }) : undefined,
  });
  return [res.status, await res.json()];
}

before(async () => {
  messaging = await createTestPartner({
    name: 'messaging',
    trustLevel: 'Full',
    permissions: ['contacts.write'],
    legacyTokens: true,
  });
  config = await createTestService({ partners: [messaging.partnerConfig] });
  contacts = await listen(contactsApp.createContactsApp(config).app);
});
after(() => contacts.close());

test('a Full-trust partner acting for alice gets 201', async () => {
  const [status, body] = await call(
    'POST',
    '/contacts/alice',
    await messaging.mint({ audience: config, user: 'alice@contoso.com' }),
  );
  assert.equal(status, 201);
  assert.deepEqual(body, { savedFor: 'alice@contoso.com', by: 'messaging', contact: { name: 'Bob' } });
});

test('the legacy form is accepted too', async () => {
  const token = await messaging.mint({ audience: config, user: 'alice@contoso.com', legacy: true });
  assert.equal((await call('POST', '/contacts/alice', token))[0], 201);
});

test('app-only: the stats, but not a contact', async () => {
  const token = await messaging.mint({ audience: config });
  assert.deepEqual(await call('GET', '/stats', token), [200, { users: 2, askedBy: 'messaging' }]);
  assert.equal((await call('POST', '/contacts/alice', token))[1].code, 'user_context_required');
});

test('an unknown partner gets 401 unknown_partner', async () => {
  const stranger = await createTestPartner({ trustLevel: 'Full' });
  const [status, body] = await call(
    'POST',
    '/contacts/alice',
    await stranger.mint({ audience: config, user: 'alice@contoso.com' }),
  );
  assert.deepEqual([status, body.code], [401, 'unknown_partner']);
});

test('an expired token gets 401 token_expired', async () => {
  const token = await messaging.mint({ audience: config, user: 'alice@contoso.com', expiresIn: -120 });
  const [status, body] = await call('POST', '/contacts/alice', token);
  assert.deepEqual([status, body.code], [401, 'token_expired']);
});

test('a token for another service gets 401 audience_mismatch', async () => {
  const token = await messaging.mint({ audience: await createTestService(), user: 'alice@contoso.com' });
  assert.equal((await call('POST', '/contacts/alice', token))[1].code, 'audience_mismatch');
});

test('a partner configured by its metadata URL', async () => {
  const scheduler = await createTestPartner({ name: 'scheduler', trustLevel: 'Full', permissions: ['contacts.write'] });
  const metadata = await scheduler.serveMetadata();
  try {
    const service = await createTestService({ partners: [metadata.partnerConfig] }, { allowLoopbackHttp: true });
    const { app, s2s } = contactsApp.createContactsApp(service);
    const served = await listen(app);
    const token = await scheduler.mint({ audience: service, user: 'bob@contoso.com' });
    assert.equal((await call('POST', '/contacts/bob', token, served.url))[0], 201);
    await served.close();
    await s2s.close();
  } finally {
    await metadata.close();
  }
});
