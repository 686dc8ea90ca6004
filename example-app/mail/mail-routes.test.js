// mail's routes tested as a user of s2s-oauth would test them: the partners mail configures in
// s2s.json (their names, trust levels and permissions) are each played by an in-memory test
// partner from `s2s-oauth/testing`; no certificates on disk, no other service running.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const request = require('supertest');
const { loadConfig } = require('s2s-oauth');
const { createTestPartner, createTestService } = require('s2s-oauth/testing');
const { createMailApp } = require('./server');

// s2s.json as deployed; its ${...} placeholders only locate files and partners we replace here.
const deployed = loadConfig(join(__dirname, 's2s.json'), {
  env: { CERT_DIR: '/unused', IM_URL: 'http://127.0.0.1', SCHEDULER_URL: 'http://127.0.0.1' },
});
const entry = (name) => deployed.partners.find((p) => p.name === name);

let partners;
let config;
let mail;
let dataDir;

beforeAll(async () => {
  partners = {
    im: await createTestPartner(entry('im')),
    scheduler: await createTestPartner(entry('scheduler')),
    crm: await createTestPartner(entry('crm')), // disabled in s2s.json
  };
  config = await createTestService({ ...deployed, partners: Object.values(partners).map((p) => p.partnerConfig) });
  dataDir = mkdtempSync(join(tmpdir(), 'mail-routes-'));
  mail = createMailApp({ config, env: { DATA_DIR: dataDir } });
});

afterAll(() => {
  mail.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A token from `partner`, acting for `user` unless it is null. */
const tokenOf = (partner, user = 'alice@contoso.com', extra = {}) =>
  partners[partner].mint({ audience: config, ...(user && { user }), ...extra });

test('im, acting for alice, adds a contact to her store and reads it back', async () => {
  const token = await tokenOf('im');
  await request(mail.app)
    .post('/contacts')
    .auth(token, { type: 'bearer' })
    .send({ address: 'Bob@Contoso.com', name: 'Bob' })
    .expect(201, { owner: 'alice@contoso.com', address: 'bob@contoso.com', name: 'Bob' });
  const list = await request(mail.app).get('/contacts').auth(token, { type: 'bearer' }).expect(200);
  expect(list.body.contacts).toEqual([expect.objectContaining({ address: 'bob@contoso.com', addedBy: 'im' })]);
});

test('a bad body is a 400 naming the field, and nothing is stored', async () => {
  const token = await tokenOf('im', 'carol@contoso.com');
  const res = await request(mail.app).post('/contacts').auth(token, { type: 'bearer' }).send({ address: 'nope' });
  expect([res.status, res.body.message]).toEqual([400, 'address: expected an e-mail address']);
  expect(mail.store.listContacts('carol@contoso.com')).toEqual([]);
});

test('im archives a transcript as mail in the user’s archive', async () => {
  const token = await tokenOf('im', 'dave@contoso.com');
  const item = { subject: 'IM with Bob', body: 'hello', sender: 'bob@contoso.com' };
  await request(mail.app).post('/archive').auth(token, { type: 'bearer' }).send(item).expect(201);
  const archive = await request(mail.app).get('/archive').auth(token, { type: 'bearer' }).expect(200);
  expect(archive.body.items).toEqual([expect.objectContaining({ ...item, storedBy: 'im' })]);
});

test('scheduler has User trust: it never calls as itself, nor names a user on its own authority', async () => {
  const asItself = await request(mail.app)
    .get('/archive')
    .auth(await tokenOf('scheduler', null), { type: 'bearer' });
  expect([asItself.status, asItself.body.error]).toEqual([403, 'app_only_not_allowed']);
  const forAlice = await request(mail.app)
    .get('/archive')
    .auth(await tokenOf('scheduler'), { type: 'bearer' });
  expect([forAlice.status, forAlice.body.error]).toEqual([403, 'user_context_not_allowed']);
});

test('mailbox routes need a user: im calling as itself is 403 user_context_required', async () => {
  const res = await request(mail.app)
    .get('/contacts')
    .auth(await tokenOf('im', null), { type: 'bearer' });
  expect([res.status, res.body.error]).toEqual([403, 'user_context_required']);
});

test('crm is disabled: 401 partner_disabled; a stranger: 401 unknown_partner; expired: 401 token_expired', async () => {
  const stranger = await createTestPartner({ trustLevel: 'Full' });
  const cases = [
    [await tokenOf('crm'), 'partner_disabled'],
    [await stranger.mint({ audience: config, user: 'alice@contoso.com' }), 'unknown_partner'],
    [await tokenOf('im', 'alice@contoso.com', { expiresIn: -300 }), 'token_expired'],
  ];
  for (const [token, code] of cases) {
    const res = await request(mail.app).get('/contacts').auth(token, { type: 'bearer' });
    expect([res.status, res.body.error, res.headers['www-authenticate']]).toEqual([
      401,
      code,
      expect.stringMatching(/^Bearer /),
    ]);
  }
});
