// The example's scenario: what is called, by whom, on behalf of whom, and the outcome. Used by
// `npm run demo` (printed) and by test/e2e (asserted).
const { join } = require('node:path');
const { createS2SAuth, loadConfig } = require('s2s-oauth');
const IDS = require('./ids');

const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';

/** A service identity the script borrows to show what a misbehaving or unknown caller gets. */
function identity(name, env, overrides = {}) {
  return createS2SAuth(
    {
      serviceName: IDS[name],
      realm: IDS.realm,
      hostnames: ['127.0.0.1'],
      signing: {
        certificate: join(env.CERT_DIR, name, 'oauth-cert.pem'),
        privateKey: join(env.CERT_DIR, name, 'oauth-key.pem'),
      },
      outbound: { allowInsecureHosts: ['127.0.0.1'] },
      partners: [
        {
          name: 'mail',
          applicationId: IDS.mail,
          realm: IDS.realm,
          trustLevel: 'Application',
          baseUrls: [env.MAIL_URL],
        },
      ],
    },
    overrides,
  );
}

/**
 * Runs every step against a running suite and returns them: { title, path, expected, status, body }.
 * `onStep` is called as each completes.
 */
async function runScenario(suite, onStep = () => {}) {
  const { env, services } = suite;
  const steps = [];
  const step = async (title, path, expected, call) => {
    const res = await call();
    const text = await res.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const result = { title, path, expected, status: res.status, body, code: body?.error };
    steps.push(result);
    onStep(result);
    return result;
  };
  const asUser = (user, method = 'GET', body) => ({
    method,
    headers: { 'x-demo-user': user, ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
  });
  const im = services.im.url;
  const mail = env.MAIL_URL;
  const contactBody = (address, name) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address, name }),
  });

  // The unified contact store: alice's contacts live in mail, written by im on her behalf.
  await step(
    'alice adds bob to her contacts',
    `alice -> im -> mail (im acting for ${ALICE}, Full trust)`,
    { status: 201 },
    () => fetch(`${im}/me/contacts`, asUser(ALICE, 'POST', { address: BOB, name: 'Bob' })),
  );
  await step('alice adds carol to her contacts', `alice -> im -> mail (im acting for ${ALICE})`, { status: 201 }, () =>
    fetch(`${im}/me/contacts`, asUser(ALICE, 'POST', { address: 'carol@contoso.com', name: 'Carol' })),
  );
  await step('alice removes carol again', `alice -> im -> mail (im acting for ${ALICE})`, { status: 204 }, () =>
    fetch(`${im}/me/contacts/carol@contoso.com`, asUser(ALICE, 'DELETE')),
  );
  await step('alice reads her contacts back', `alice -> im -> mail (im acting for ${ALICE})`, { status: 200 }, () =>
    fetch(`${im}/me/contacts`, asUser(ALICE)),
  );
  await step(
    'bob reads his contacts: his own mailbox, empty',
    `bob -> im -> mail (im acting for ${BOB})`,
    { status: 200 },
    () => fetch(`${im}/me/contacts`, asUser(BOB)),
  );

  // Archiving: an instant-message transcript saved in alice's mailbox as a mail item.
  const transcript = {
    with: BOB,
    messages: [
      { from: ALICE, text: 'Lunch at noon?', at: '2026-11-25T11:02:00Z' },
      { from: BOB, text: 'Yes, see you there.', at: '2026-11-25T11:03:10Z' },
    ],
  };
  await step(
    "alice's conversation with bob is archived as mail",
    `alice -> im -> mail (im acting for ${ALICE})`,
    { status: 201 },
    () => fetch(`${im}/me/conversations/c-1/archive`, asUser(ALICE, 'POST', transcript)),
  );
  await step('alice reads her archive', `alice -> im -> mail (im acting for ${ALICE})`, { status: 200 }, () =>
    fetch(`${im}/me/archive`, asUser(ALICE)),
  );

  // Trust the other way: scheduler books a conference on im for alice.
  await step(
    'alice schedules a conference',
    `alice -> scheduler -> im (scheduler acting for ${ALICE}, Full trust at im)`,
    { status: 201 },
    () =>
      fetch(
        `${services.scheduler.url}/me/meetings`,
        asUser(ALICE, 'POST', { subject: 'Quarterly review', start: '2026-12-01T09:00:00Z' }),
      ),
  );
  await step('alice sees it on im', 'alice -> im', { status: 200 }, () => fetch(`${im}/me/conferences`, asUser(ALICE)));

  // The refusals: each with its status and stable error code, and none of them writes anything.
  const rogue = identity('rogue', env).fetch();
  await step(
    'an untrusted service tries to add a contact for alice',
    `rogue -> mail (a certificate mail was never told about, acting for ${ALICE})`,
    { status: 401, code: 'unknown_partner' },
    () => rogue(`${mail}/contacts`, { ...contactBody('mallory@contoso.com', 'Mallory'), actAs: { upn: ALICE } }),
  );
  const scheduler = createS2SAuth(loadConfig(join(__dirname, '..', 'scheduler', 's2s.json'), { env })).fetch();
  await step(
    'scheduler calls mail as itself',
    'scheduler -> mail (app-only; scheduler has User trust at mail)',
    { status: 403, code: 'app_only_not_allowed' },
    () => scheduler(`${mail}/archive`),
  );
  await step(
    'scheduler names alice on its own authority',
    `scheduler -> mail (acting for ${ALICE} without an authorization server's consent)`,
    { status: 403, code: 'user_context_not_allowed' },
    () => scheduler(`${mail}/contacts`, { ...contactBody('mallory@contoso.com', 'Mallory'), actAs: { upn: ALICE } }),
  );
  const hourAgo = createS2SAuth(loadConfig(join(__dirname, '..', 'im', 's2s.json'), { env }), {
    clock: () => Date.now() - 3600_000,
  });
  const expired = await hourAgo.issuer.mint({
    audience: { principalId: IDS.mail, host: new URL(mail).host, realm: IDS.realm },
    user: { upn: ALICE },
  });
  await step(
    'im presents a token that expired 55 minutes ago',
    `im -> mail (acting for ${ALICE}, token minted an hour ago for 5 minutes)`,
    { status: 401, code: 'token_expired' },
    () =>
      fetch(`${mail}/contacts`, {
        ...contactBody('mallory@contoso.com', 'Mallory'),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${expired.token}` },
      }),
  );
  const crm = identity('crm', env).fetch();
  await step(
    'crm, a partner mail has disabled, adds a contact',
    `crm -> mail (acting for ${ALICE}; partner "crm" is enabled: false)`,
    { status: 401, code: 'partner_disabled' },
    () => crm(`${mail}/contacts`, { ...contactBody('mallory@contoso.com', 'Mallory'), actAs: { upn: ALICE } }),
  );
  await step(
    "alice's contacts are unchanged by the refused calls",
    `alice -> im -> mail (im acting for ${ALICE})`,
    { status: 200 },
    () => fetch(`${im}/me/contacts`, asUser(ALICE)),
  );
  return steps;
}

module.exports = { runScenario, ALICE, BOB };
