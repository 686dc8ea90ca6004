import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import request from 'supertest';
import type express from 'express';
import { IDS } from '../helpers/certificates';
import { createS2SAuth } from '../../src/s2s-auth';
import {
  CONTACTS_AUDIENCE,
  createSuite,
  EXPRESS_VERSIONS,
  protectedApp,
  type ExpressVersion,
  type Suite,
} from '../helpers/partners';
import { manualClock, signingKeyOf } from '../helpers/service';
import { actorClaims, craftToken, tamper } from '../helpers/tokens';
import { createOAuthCertificate } from '../../src/core/certificates/create-certificate';
import { parseCertificate } from '../../src/core/certificates/oauth-certificate';

const AUD = `${IDS.contacts}/contacts.contoso.com@contoso.com`;
const MESSAGING = `${IDS.messaging}@contoso.com`;
const CHALLENGE = `Bearer realm="contoso.com", client_id="${IDS.contacts}", trusted_issuers="*@contoso.com"`;

const ADAPTERS = (['passport', 'middleware'] as const).flatMap((mode) =>
  (Object.keys(EXPRESS_VERSIONS) as ExpressVersion[]).map((version) => [mode, version] as const),
);

describe.each(ADAPTERS)('inbound rules through the %s adapter on %s', (mode, version) => {
  const clock = manualClock();
  let suite: Suite;
  let app: express.Express;
  let messagingKey: KeyObject;
  let messagingKid: string;
  let messagingX5t: string;

  beforeAll(async () => {
    suite = await createSuite({
      clock,
      // Below Node's own 16 KB header limit (431), so our limit is the one tested.
      contacts: { tokens: { maxTokenBytes: 8192 } },
      partners: (certs) => [
        {
          name: 'messaging',
          applicationId: IDS.messaging,
          realm: 'contoso.com',
          trustLevel: 'Full',
          permissions: ['contacts.write'],
          keySource: { kind: 'certificate', certificates: [certs.messaging] },
        },
        {
          name: 'scheduler',
          applicationId: IDS.scheduler,
          realm: 'contoso.com',
          trustLevel: 'User',
          keySource: { kind: 'certificate', certificates: [certs.scheduler] },
        },
        {
          name: 'other',
          applicationId: IDS.other,
          realm: 'contoso.com',
          trustLevel: 'Application',
          requireUniqueJti: true,
          keySource: { kind: 'certificate', certificates: [certs.other] },
        },
      ],
    });
    app = protectedApp(suite.contacts, mode, version);
    messagingKey = signingKeyOf(suite.messaging);
    const active = suite.messaging.signingKeys.active();
    messagingKid = active.kid;
    messagingX5t = active.x5t;
  });
  afterEach(async () => {
    expect(await suite.explainDisagreements()).toEqual([]);
    suite.events.length = 0;
    clock.set(manualClock()());
    for (const p of suite.contacts.partners.list()) if (!p.enabled) suite.contacts.partners.enable(p.name);
  });

  const now = () => Math.floor(clock() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => actorClaims(AUD, MESSAGING, now(), extra);
  const header = (extra: Record<string, unknown> = {}) => ({
    alg: 'RS256',
    typ: 'JWT',
    x5t: messagingX5t,
    kid: messagingKid,
    ...extra,
  });
  const mint = (
    user?: { upn?: string; nameid?: string; smtp?: string },
    from: 'messaging' | 'scheduler' | 'other' = 'messaging',
  ) => suite[from].issuer.mint({ audience: CONTACTS_AUDIENCE, ...(user && { user }) }).then((m) => m.token);
  const lastCode = () => suite.events.filter((e) => e.type === 'rejected').at(-1)?.code;

  async function expectRefused(req: request.Test, status: number, code: string, error?: string) {
    const res = await req;
    expect(res.status).toBe(status);
    const challenge = res.headers['www-authenticate'];
    if (status === 503) expect(challenge).toBeUndefined();
    else
      expect(challenge).toEqual(
        error
          ? expect.stringMatching(
              new RegExp(`^${escape(CHALLENGE)}, error="${error}", error_description="(?:[^"\\\\]|\\\\.)+"$`),
            )
          : CHALLENGE,
      );
    expect(lastCode()).toBe(code);
    if (mode === 'middleware') expect(res.body.code).toBe(code);
    return res;
  }
  const get = (token: string, path = '/whoami') => request(app).get(path).set('Authorization', `Bearer ${token}`);

  describe('accepts', () => {
    it('an app-only token from a Full partner, with a typed principal in req.user', async () => {
      const res = await get(await mint()).expect(200);
      expect(res.body).toMatchObject({
        kind: 'app',
        partner: 'messaging',
        applicationId: IDS.messaging,
        realm: 'contoso.com',
        trustLevel: 'Full',
        actor: MESSAGING,
        permissions: ['contacts.write'],
        source: 'partner',
      });
      expect(res.body.user).toBeUndefined();
      expect(suite.events.at(-1)).toEqual({
        type: 'accepted',
        partner: 'messaging',
        realm: 'contoso.com',
        cached: false,
      });
    });

    it('a user-context token from a Full partner for a user of our realm', async () => {
      const res = await get(await mint({ upn: 'alice@contoso.com', nameid: 'S-1-5-21-7' })).expect(200);
      expect(res.body).toMatchObject({
        kind: 'user',
        user: { upn: 'alice@contoso.com', nameid: 'S-1-5-21-7', id: 'S-1-5-21-7' },
        actor: MESSAGING,
      });
      expect(suite.events.at(-1)).toMatchObject({ type: 'accepted', userId: 'S-1-5-21-7' });
    });

    it('a reused token from the verified-token cache (it enters on its second verification)', async () => {
      const token = await mint();
      await get(token).expect(200);
      await get(token).expect(200);
      await get(token).expect(200);
      expect(suite.events.map((e) => e.cached)).toEqual([false, false, true]);
    });

    it('a token whose header names the key only by x5t, as Microsoft servers send', async () => {
      await get(craftToken(header({ kid: undefined }), claims(), messagingKey)).expect(200);
    });

    it("a token whose header names no key at all, trying only that partner's keys", async () => {
      await get(craftToken({ alg: 'RS256', typ: 'JWT' }, claims(), messagingKey)).expect(200);
    });

    it('a token within the clock skew', async () => {
      await get(craftToken(header(), claims({ nbf: now() + 30, exp: now() + 300 }), messagingKey)).expect(200);
      await get(
        craftToken(header(), claims({ nbf: now() - 330, iat: now() - 330, exp: now() - 30 }), messagingKey),
      ).expect(200);
    });
  });

  describe('discovery and malformed requests', () => {
    it('answers an empty "Authorization: Bearer" with 401 and the realm challenge, so callers can discover our realm', async () => {
      await expectRefused(request(app).get('/whoami').set('Authorization', 'Bearer '), 401, 'token_missing');
    });

    it('answers a request without Authorization with the same challenge', async () => {
      await expectRefused(request(app).get('/whoami'), 401, 'token_missing');
    });

    it('treats another scheme as no bearer token', async () => {
      await expectRefused(request(app).get('/whoami').set('Authorization', 'Basic dXNlcjpwYXNz'), 401, 'token_missing');
    });

    it('refuses a malformed Authorization header with 400', async () => {
      await expectRefused(
        request(app).get('/whoami').set('Authorization', 'Bearer two tokens'),
        400,
        'malformed_authorization_header',
        'invalid_request',
      );
    });

    it('refuses two Authorization headers with 400: Node keeps the first, a proxy in front may have read the last', async () => {
      const token = await mint();
      // An array makes Node's client send one header line per value (supertest types allow it for Cookie only).
      const twice = (second: string) =>
        request(app)
          .get('/whoami')
          .set('Authorization', [`Bearer ${token}`, second] as unknown as string);
      await expectRefused(twice(`Bearer ${token}`), 400, 'malformed_authorization_header', 'invalid_request');
      await expectRefused(twice('Basic dXNlcjpwYXNz'), 400, 'malformed_authorization_header', 'invalid_request');
    });

    it("answers token_too_large below Node's own header limit with the default maxTokenBytes", async () => {
      const s2s = suite.contacts;
      const defaults = createS2SAuth({ ...s2s.config, tokens: { ...s2s.config.tokens, maxTokenBytes: undefined } });
      expect(defaults.config.tokens.maxTokenBytes).toBe(8192);
      const res = await request(protectedApp(defaults, mode, version))
        .get('/whoami')
        .set('Authorization', `Bearer ${'a'.repeat(12000)}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      if (mode === 'middleware') expect(res.body.code).toBe('token_too_large');
    });

    it('refuses a token in the query string with 400', async () => {
      const token = await mint();
      await expectRefused(
        request(app).get(`/whoami?access_token=${token}`),
        400,
        'token_in_query_or_body',
        'invalid_request',
      );
    });

    it('refuses a token in the body with 400, even beside a valid header', async () => {
      const token = await mint();
      await expectRefused(
        request(app).post('/whoami').set('Authorization', `Bearer ${token}`).send({ access_token: token }),
        400,
        'token_in_query_or_body',
        'invalid_request',
      );
    });

    it('refuses a token that is not a JWS', async () => {
      await expectRefused(get('abc.def'), 401, 'token_malformed', 'invalid_token');
      await expectRefused(
        get(`${Buffer.from('[1]').toString('base64url')}.e30.c2ln`),
        401,
        'token_malformed',
        'invalid_token',
      );
    });

    it('refuses an oversized token before parsing it', async () => {
      await expectRefused(get('a'.repeat(8193)), 401, 'token_too_large', 'invalid_token');
    });
  });

  describe('the principal in req.user', () => {
    it('cannot be changed by a handler: no later verdict changes', async () => {
      const token = await mint({ upn: 'alice@contoso.com' });
      const other = await mint();
      expect((await get(token, '/mutate').expect(200)).body).toEqual({ took: 0 });
      await expectRefused(get(token, '/admin'), 403, 'permission_denied', 'insufficient_scope');
      await expectRefused(get(other, '/admin'), 403, 'permission_denied', 'insufficient_scope');
      const again = await get(token).expect(200);
      expect(again.body).toMatchObject({
        kind: 'user',
        permissions: ['contacts.write'],
        user: { upn: 'alice@contoso.com', id: 'alice@contoso.com' },
      });
      expect(again.body.claims.nameid).toBeUndefined();
      expect(suite.contacts.partners.get('messaging')!.config.permissions).toEqual(['contacts.write']);
    });
  });

  describe('algorithms and keys', () => {
    it('refuses alg "none"', async () => {
      await expectRefused(
        get(craftToken({ alg: 'none', typ: 'JWT' }, claims(), 'none')),
        401,
        'algorithm_not_allowed',
        'invalid_token',
      );
    });

    it("refuses HS256 keyed with the partner's public key", async () => {
      const publicPem = suite.messaging.signingKeys.active().publicKey.export({ type: 'spki', format: 'pem' });
      await expectRefused(
        get(craftToken(header({ alg: 'HS256' }), claims(), { hmac: publicPem })),
        401,
        'algorithm_not_allowed',
        'invalid_token',
      );
      const certPem = suite.messaging.signingKeys.active().pem;
      await expectRefused(
        get(craftToken(header({ alg: 'HS256' }), claims(), { hmac: certPem })),
        401,
        'algorithm_not_allowed',
        'invalid_token',
      );
    });

    it('refuses an unknown algorithm', async () => {
      await expectRefused(
        get(craftToken(header({ alg: 'RS1024' }), claims(), messagingKey)),
        401,
        'algorithm_not_allowed',
        'invalid_token',
      );
    });

    it('refuses a crit header', async () => {
      await expectRefused(
        get(craftToken(header({ crit: ['exp'] }), claims(), messagingKey)),
        401,
        'crit_header_refused',
        'invalid_token',
      );
    });

    it('ignores keys embedded in the token header (jwk, jku, x5u, x5c)', async () => {
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const attackerCert = await createOAuthCertificate({ realm: 'contoso.com', name: 'evil' });
      const evil = parseCertificate(attackerCert.certificatePem, 'evil');
      const evilKey = createPrivateKey(attackerCert.privateKeyPem);
      const jwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'evil' };
      await expectRefused(
        get(craftToken({ alg: 'RS256', kid: 'evil', jwk }, claims(), attacker.privateKey)),
        401,
        'key_not_found',
        'invalid_token',
      );
      await expectRefused(
        get(craftToken({ alg: 'RS256', jwk }, claims(), attacker.privateKey)),
        401,
        'signature_invalid',
        'invalid_token',
      );
      await expectRefused(
        get(craftToken({ alg: 'RS256', x5c: [evil.der.toString('base64')] }, claims(), evilKey)),
        401,
        'signature_invalid',
        'invalid_token',
      );
      await expectRefused(
        get(
          craftToken(
            { alg: 'RS256', jku: 'https://evil.example/jwks', x5u: 'https://evil.example/c' },
            claims(),
            evilKey,
          ),
        ),
        401,
        'signature_invalid',
        'invalid_token',
      );
    });

    it('refuses a token naming an unknown kid', async () => {
      await expectRefused(
        get(craftToken(header({ kid: 'rotated-away', x5t: undefined }), claims(), messagingKey)),
        401,
        'key_not_found',
        'invalid_token',
      );
    });

    it('refuses a tampered signature', async () => {
      await expectRefused(get(tamper(await mint())), 401, 'signature_invalid', 'invalid_token');
    });

    it('never lets partner A sign as partner B', async () => {
      // "other" signs with its own key but claims to be messaging.
      const otherKey = signingKeyOf(suite.other);
      const otherCert = suite.other.signingKeys.active();
      await expectRefused(
        get(craftToken({ alg: 'RS256', kid: otherCert.kid, x5t: otherCert.x5t }, claims(), otherKey)),
        401,
        'key_not_found',
        'invalid_token',
      );
      await expectRefused(
        get(craftToken({ alg: 'RS256' }, claims(), otherKey)),
        401,
        'signature_invalid',
        'invalid_token',
      );
    });
  });

  describe('issuer, realm and audience', () => {
    it('refuses an unknown partner', async () => {
      const iss = `${IDS.contacts}@contoso.com`;
      await expectRefused(
        get(craftToken(header(), claims({ iss, nameid: iss }), messagingKey)),
        401,
        'unknown_partner',
        'invalid_token',
      );
    });

    it('refuses a disabled partner', async () => {
      suite.contacts.partners.disable('messaging');
      await expectRefused(get(await mint()), 401, 'partner_disabled', 'invalid_token');
    });

    it('refuses at once a partner disabled after its token was cached', async () => {
      const token = await mint();
      await get(token).expect(200);
      suite.contacts.partners.disable('messaging');
      await expectRefused(get(token), 401, 'partner_disabled', 'invalid_token');
    });

    it('refuses a partner id presented in another realm', async () => {
      const iss = `${IDS.messaging}@fabrikam.com`;
      await expectRefused(
        get(craftToken(header(), claims({ iss, nameid: iss }), messagingKey)),
        401,
        'realm_mismatch',
        'invalid_token',
      );
    });

    it('refuses a token addressed to a realm we do not serve', async () => {
      await expectRefused(
        get(craftToken(header(), claims({ aud: `${IDS.contacts}/contacts.contoso.com@fabrikam.com` }), messagingKey)),
        401,
        'realm_mismatch',
        'invalid_token',
      );
    });

    it('refuses a token for another service or another host', async () => {
      await expectRefused(
        get(craftToken(header(), claims({ aud: `${IDS.scheduler}/contacts.contoso.com@contoso.com` }), messagingKey)),
        401,
        'audience_mismatch',
        'invalid_token',
      );
      await expectRefused(
        get(craftToken(header(), claims({ aud: `${IDS.contacts}/mail.fabrikam.com@contoso.com` }), messagingKey)),
        401,
        'audience_mismatch',
        'invalid_token',
      );
    });

    it('accepts our principal id in any case (GUIDs) and a host with a port', async () => {
      await get(
        craftToken(
          header(),
          claims({ aud: `${IDS.contacts.toUpperCase()}/Contacts.Contoso.com:8443@contoso.com` }),
          messagingKey,
        ),
      ).expect(200);
    });

    it('refuses an acting nameid that is not the issuer', async () => {
      await expectRefused(
        get(craftToken(header(), claims({ nameid: `${IDS.other}@contoso.com` }), messagingKey)),
        401,
        'actor_mismatch',
        'invalid_token',
      );
    });
  });

  describe('time', () => {
    it('refuses an expired token', async () => {
      const token = await mint();
      clock.advance(301_000 + 60_000);
      await expectRefused(get(token), 401, 'token_expired', 'invalid_token');
    });

    it('refuses an expired token even from the verified-token cache', async () => {
      const token = await mint();
      await get(token).expect(200);
      clock.advance(301_000 + 60_000);
      await expectRefused(get(token), 401, 'token_expired', 'invalid_token');
    });

    it('refuses a token that is not yet valid', async () => {
      await expectRefused(
        get(craftToken(header(), claims({ nbf: now() + 120, exp: now() + 400 }), messagingKey)),
        401,
        'token_not_yet_valid',
        'invalid_token',
      );
    });

    it("refuses an over-long token (node-sp-auth's 24 h window)", async () => {
      await expectRefused(
        get(craftToken(header(), claims({ nbf: now() - 12 * 3600, exp: now() + 12 * 3600 }), messagingKey)),
        401,
        'lifetime_too_long',
        'invalid_token',
      );
    });

    it.each([
      ['no exp', { exp: undefined }],
      ['exp before nbf', { nbf: 2_000_000_000, exp: 1_999_999_999 }],
      ['string times from a partner not configured for legacy forms', { nbf: '1764072000', exp: '1764072300' }],
    ])('refuses %s as malformed', async (_label, extra) => {
      await expectRefused(
        get(craftToken(header(), claims(extra), messagingKey)),
        401,
        'token_malformed',
        'invalid_token',
      );
    });
  });

  it('refuses an infinite exp (1e999) as malformed', async () => {
    const raw = JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e999');
    await expectRefused(get(craftToken(header(), raw, messagingKey)), 401, 'token_malformed', 'invalid_token');
  });

  describe('trust levels', () => {
    it('refuses an app-only call from a User-trust partner with 403', async () => {
      await expectRefused(get(await mint(undefined, 'scheduler')), 403, 'app_only_not_allowed', 'insufficient_scope');
    });

    it('refuses a User-trust partner naming a user on its own authority', async () => {
      await expectRefused(
        get(await mint({ upn: 'alice@contoso.com' }, 'scheduler')),
        403,
        'user_context_not_allowed',
        'insufficient_scope',
      );
    });

    it('refuses an Application-trust partner naming a user on its own authority', async () => {
      await expectRefused(
        get(await mint({ upn: 'alice@contoso.com' }, 'other')),
        403,
        'user_context_not_allowed',
        'insufficient_scope',
      );
    });

    it('accepts an app-only call from an Application-trust partner', async () => {
      await get(await mint(undefined, 'other')).expect(200);
    });

    it('refuses a Full partner naming a user of another realm, or one whose realm it does not show', async () => {
      await expectRefused(
        get(await mint({ upn: 'mallory@fabrikam.com' })),
        403,
        'user_realm_mismatch',
        'insufficient_scope',
      );
      await expectRefused(get(await mint({ nameid: 'S-1-5-21-9' })), 403, 'user_realm_mismatch', 'insufficient_scope');
    });
  });

  describe('replay', () => {
    it('refuses a replayed jti for a partner that requires unique ids', async () => {
      const token = await mint(undefined, 'other');
      await get(token).expect(200);
      await expectRefused(get(token), 401, 'token_replayed', 'invalid_token');
    });

    it('refuses a token without jti from such a partner', async () => {
      const otherKey = signingKeyOf(suite.other);
      const iss = `${IDS.other}@contoso.com`;
      await expectRefused(
        get(craftToken({ alg: 'RS256' }, claims({ iss, nameid: iss, jti: undefined }), otherKey)),
        401,
        'token_malformed',
        'invalid_token',
      );
    });
  });

  describe('guards', () => {
    it('requireUser refuses an app-only call', async () => {
      const res = await expectRefused(
        get(await mint(), '/user-only'),
        403,
        'user_context_required',
        'insufficient_scope',
      );
      expect(res.body.code).toBe('user_context_required');
      await get(await mint({ upn: 'alice@contoso.com' }), '/user-only').expect(200);
    });

    it('requireAppOnly refuses a user-context call', async () => {
      await expectRefused(
        get(await mint({ upn: 'alice@contoso.com' }), '/app-only'),
        403,
        'app_only_required',
        'insufficient_scope',
      );
      await get(await mint(), '/app-only').expect(200);
    });

    it('requireTrustLevel refuses a lower trust level', async () => {
      await expectRefused(
        get(await mint(undefined, 'other'), '/full-only'),
        403,
        'trust_level_insufficient',
        'insufficient_scope',
      );
      await get(await mint(), '/full-only').expect(200);
    });

    it('requirePermission refuses a partner without the permission', async () => {
      await get(await mint(), '/write').expect(200);
      await expectRefused(get(await mint(), '/admin'), 403, 'permission_denied', 'insufficient_scope');
      await expectRefused(
        get(await mint(undefined, 'other'), '/write'),
        403,
        'permission_denied',
        'insufficient_scope',
      );
    });
  });

  it('never puts the token in an event or a challenge', async () => {
    const token = await mint({ upn: 'mallory@fabrikam.com' });
    const res = await get(token);
    const signature = token.split('.')[2]!;
    expect(JSON.stringify(suite.events)).not.toContain(signature);
    expect(res.headers['www-authenticate']).not.toContain(signature);
    expect(JSON.stringify(res.body)).not.toContain(signature);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
