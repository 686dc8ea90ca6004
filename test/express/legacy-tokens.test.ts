import { signingKeyOf } from '../helpers/service';
import type { KeyObject } from 'node:crypto';
import request from 'supertest';
import type express from 'express';
import { IDS } from '../helpers/certificates';
import { CONTACTS_AUDIENCE, createSuite, protectedApp, type Suite } from '../helpers/partners';
import { craftToken, legacyOuterClaims } from '../helpers/tokens';

const AUD = `${IDS.contacts}/contacts.contoso.com@contoso.com`;
const MESSAGING = `${IDS.messaging}@contoso.com`;

describe('Microsoft legacy forms', () => {
  let suite: Suite;
  let app: express.Express;
  let key: KeyObject;

  beforeAll(async () => {
    suite = await createSuite({
      partners: (certs) => [
        {
          name: 'messaging',
          applicationId: IDS.messaging,
          realm: 'contoso.com',
          trustLevel: 'Full',
          legacyTokens: true,
          keySource: { kind: 'certificate', certificates: [certs.messaging] },
        },
        {
          name: 'scheduler',
          applicationId: IDS.scheduler,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'certificate', certificates: [certs.scheduler] },
        },
      ],
    });
    app = protectedApp(suite.contacts, 'middleware');
    key = signingKeyOf(suite.messaging);
  });
  afterEach(async () => {
    expect(await suite.explainDisagreements()).toEqual([]);
    suite.events.length = 0;
  });

  const now = () => Math.floor(Date.now() / 1000);
  const get = (token: string) => request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
  const unsigned = (claims: Record<string, unknown>) => craftToken({ typ: 'JWT', alg: 'none' }, claims, 'none');
  const actor = (extra: Record<string, unknown> = {}) =>
    craftToken(
      { alg: 'RS256', typ: 'JWT', x5t: suite.messaging.signingKeys.active().x5t },
      {
        aud: AUD,
        iss: MESSAGING,
        nameid: MESSAGING,
        nbf: now(),
        exp: now() + 300,
        trustedfordelegation: true,
        ...extra,
      },
      key,
    );
  const outer = (actorToken: string, extra: Record<string, unknown> = {}) =>
    unsigned(legacyOuterClaims(AUD, MESSAGING, now(), actorToken, extra));

  it('accepts the legacy user-context token our issuer mints for a legacy partner', async () => {
    const { token } = await suite.messaging.issuer.mint({
      audience: CONTACTS_AUDIENCE,
      user: { upn: 'alice@contoso.com' },
      legacy: true,
    });
    const res = await get(token).expect(200);
    expect(res.body).toMatchObject({
      kind: 'user',
      partner: 'messaging',
      actor: MESSAGING,
      user: { upn: 'alice@contoso.com', id: 'alice@contoso.com' },
    });
  });

  it('accepts Microsoft\'s string times and "true" from a legacy partner', async () => {
    const res = await get(
      outer(actor({ nbf: String(now()), exp: String(now() + 300), trustedfordelegation: 'true' })),
    ).expect(200);
    expect(res.body.user.nameid).toBe('S-1-5-21-42');
  });

  it('refuses a string time that is not 1-10 digits', async () => {
    await get(outer(actor({ exp: `${now() + 300}.5` }))).expect(401);
    expect(suite.events.at(-1)?.code).toBe('token_malformed');
  });

  it('refuses the legacy form from a partner not configured for it', async () => {
    const { token } = await suite.scheduler.issuer.mint({
      audience: CONTACTS_AUDIENCE,
      user: { upn: 'alice@contoso.com' },
      legacy: true,
    });
    const res = await get(token).expect(401);
    expect(res.body.code).toBe('legacy_token_refused');
  });

  it.each([
    ['an outer iss other than the actor', { iss: `${IDS.other}@contoso.com` }, 'actor_mismatch'],
    ["an outer aud other than the actor's", { aud: `${IDS.contacts}/other.contoso.com@contoso.com` }, 'actor_mismatch'],
    ["an outer window outside the actor's", { exp: now() + 3000, nbf: now() }, 'actor_mismatch'],
    ['a user of another realm', { upn: 'mallory@fabrikam.com', nameid: undefined }, 'user_realm_mismatch'],
  ])('refuses %s', async (_label, extra, code) => {
    const res = await get(outer(actor(), extra));
    expect(res.body.code).toBe(code);
  });

  it('refuses an actor token not trusted for delegation', async () => {
    expect((await get(outer(actor({ trustedfordelegation: false })))).body.code).toBe('actor_mismatch');
  });

  it('refuses an unsigned actor token and a second level of nesting', async () => {
    expect(
      (await get(outer(unsigned({ aud: AUD, iss: MESSAGING, nameid: MESSAGING, nbf: now(), exp: now() + 300 }))))
        .status,
    ).toBe(401);
    expect(suite.events.at(-1)?.code).toBe('token_malformed');
    expect((await get(outer(actor({ actortoken: actor() })))).body.code).toBe('token_malformed');
  });

  it('refuses an unsigned token without an actor token', async () => {
    expect(
      (await get(unsigned({ aud: AUD, iss: MESSAGING, nbf: now(), exp: now() + 300, upn: 'alice@contoso.com' }))).body
        .code,
    ).toBe('algorithm_not_allowed');
  });
});
