import type { KeyObject } from 'node:crypto';
import { createS2SAuth, type S2SAuth } from '../../../src/s2s-auth';
import { TokenError } from '../../../src/core/errors/token-error';
import type { ReplayStore } from '../../../src/core/caches/replay-store';
import type { PartnerConfigInput } from '../../../src/core/config/config-schema';
import { IDS } from '../../helpers/certificates';
import { CONTACTS_AUDIENCE } from '../../helpers/partners';
import { manualClock, serviceConfig, signingKeyOf } from '../../helpers/service';
import { actorClaims, craftToken, legacyOuterClaims } from '../../helpers/tokens';

/*
 * The verifier as a core, with no HTTP: verify() and explain() called directly. Every refusal
 * is asserted through both, with the same code: explain() narrates the checks verify() runs.
 */

const AUD = `${IDS.contacts}/contacts.contoso.com@contoso.com`;
const MESSAGING = `${IDS.messaging}@contoso.com`;
const SCHEDULER = `${IDS.scheduler}@contoso.com`;

let messaging: S2SAuth;
let scheduler: S2SAuth;
let contacts: S2SAuth;
let messagingKey: KeyObject;
let schedulerKey: KeyObject;

async function contactsWith(
  partners: PartnerConfigInput[],
  replayStore?: ReplayStore,
  timeoutMs = 1000,
): Promise<S2SAuth> {
  return createS2SAuth(
    await serviceConfig('contacts', { partners, replayCache: { timeoutMs } }),
    replayStore ? { replayStore } : {},
  );
}
const partnersFor = (extra: Partial<PartnerConfigInput> = {}): PartnerConfigInput[] => [
  {
    name: 'messaging',
    applicationId: IDS.messaging,
    realm: 'contoso.com',
    trustLevel: 'Full',
    permissions: ['contacts.read'],
    legacyTokens: true,
    requireUniqueJti: true,
    keySource: { kind: 'certificate', certificates: [messaging.config.signing.certificate] },
    ...extra,
  },
  {
    name: 'scheduler',
    applicationId: IDS.scheduler,
    realm: 'contoso.com',
    trustLevel: 'Full',
    keySource: { kind: 'certificate', certificates: [scheduler.config.signing.certificate] },
  },
];

beforeAll(async () => {
  messaging = createS2SAuth(await serviceConfig('messaging'));
  scheduler = createS2SAuth(await serviceConfig('scheduler'));
  messagingKey = signingKeyOf(messaging);
  schedulerKey = signingKeyOf(scheduler);
  contacts = await contactsWith(partnersFor());
});

const now = () => Math.floor(Date.now() / 1000);
const header = (extra: Record<string, unknown> = {}) => ({
  alg: 'RS256',
  typ: 'JWT',
  x5t: messaging.signingKeys.active().x5t,
  ...extra,
});
const claims = (extra: Record<string, unknown> = {}) => actorClaims(AUD, SCHEDULER, now(), extra);
/** A token of scheduler (no replay rule, no legacy form): the plain partner path. */
const signed = (extra: Record<string, unknown> = {}, head: Record<string, unknown> = {}) =>
  craftToken(
    { alg: 'RS256', typ: 'JWT', x5t: scheduler.signingKeys.active().x5t, ...head },
    claims(extra),
    schedulerKey,
  );
const actorToken = (extra: Record<string, unknown> = {}) =>
  craftToken(
    header(),
    actorClaims(AUD, MESSAGING, now(), { trustedfordelegation: true, jti: `actor-${Math.random()}`, ...extra }),
    messagingKey,
  );
const outer = (
  actor: string,
  extra: Record<string, unknown> = {},
  head: Record<string, unknown> = { typ: 'JWT', alg: 'none' },
) => craftToken(head, legacyOuterClaims(AUD, MESSAGING, now(), actor, extra), 'none');

/** Asserts that verify() and explain() both refuse `token` with `code`; returns verify()'s error. */
async function refusedBoth(token: unknown, code: string, s2s = contacts): Promise<TokenError> {
  const error = await s2s.verifier.verify(token as string).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  expect((error as TokenError).code).toBe(code);
  const explained = await s2s.verifier.explain(token as string);
  expect(explained.error?.code).toBe(code);
  return error as TokenError;
}

describe('TokenVerifier.verify() and explain(), without HTTP', () => {
  it('accepts a partner token and explains the same acceptance', async () => {
    const token = signed();
    await expect(contacts.verifier.verify(token)).resolves.toMatchObject({
      partner: 'scheduler',
      kind: 'app',
      source: 'partner',
    });
    const explained = await contacts.verifier.explain(token);
    expect(explained.error).toBeUndefined();
    expect(explained.steps.map((s) => s.check)).toEqual([
      'format',
      'algorithm',
      'partner',
      'key',
      'signature',
      'time',
      'audience',
      'actor',
      'trust',
    ]);
  });

  it('rejects a token that is not a string with a TokenError, never a TypeError', async () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) await refusedBoth(value, 'token_malformed');
  });

  describe('replay defence rests on the signed actor token (legacy form)', () => {
    it('accepts one signed actor token once, however many fresh outer ids wrap it', async () => {
      const s2s = await contactsWith(partnersFor());
      const actor = actorToken();
      await expect(s2s.verifier.verify(outer(actor, { jti: 'outer-1' }))).resolves.toMatchObject({
        partner: 'messaging',
        kind: 'user',
      });
      for (let i = 2; i <= 5; i++) {
        const error = await refusedBoth(outer(actor, { jti: `outer-${i}` }), 'token_replayed', s2s);
        expect(error).toMatchObject({ partner: 'messaging', claim: 'jti', status: 401 });
      }
    });

    it("accepts our own issuer's legacy tokens at a partner that requires unique ids (the actor token carries the jti)", async () => {
      const s2s = await contactsWith(partnersFor());
      const { token } = await messaging.issuer.mint({
        audience: CONTACTS_AUDIENCE,
        user: { upn: 'alice@contoso.com' },
        legacy: true,
      });
      await expect(s2s.verifier.verify(token)).resolves.toMatchObject({
        partner: 'messaging',
        user: { upn: 'alice@contoso.com' },
      });
      await refusedBoth(token, 'token_replayed', s2s);
    });

    it("keeps the unsigned outer token's other claims apart from the signed claims", async () => {
      const principal = await contacts.verifier.verify(
        outer(actorToken(), { roles: ['admin'], scp: 'contacts.write', jti: 'outer' }),
      );
      expect(principal.claims).not.toHaveProperty('roles');
      expect(principal.claims).toMatchObject({ iss: MESSAGING, nameid: MESSAGING, trustedfordelegation: true });
      expect(principal.unsignedClaims).toMatchObject({
        roles: ['admin'],
        scp: 'contacts.write',
        jti: 'outer',
        upn: 'alice@contoso.com',
      });
      expect(principal.user).toEqual({ nameid: 'S-1-5-21-42', upn: 'alice@contoso.com', id: 'S-1-5-21-42' });
    });

    it('holds the outer header as strictly as a signed one, and wants its signature empty', async () => {
      await refusedBoth(outer(actorToken(), {}, { typ: 'JWT', alg: 'none', crit: ['exp'] }), 'crit_header_refused');
      await refusedBoth(outer(actorToken(), {}, { typ: 'JWT', alg: 'none', kid: 'k' }), 'token_malformed');
      await refusedBoth(outer(actorToken(), {}, { typ: 'JOSE+JSON', alg: 'none' }), 'token_malformed');
      const withSignature = `${outer(actorToken())}c2ln`;
      expect((await refusedBoth(withSignature, 'token_malformed')).claim).toBe('signature');
    });

    it('refuses a legacy token from a partner not configured for it as legacy_token_refused, whatever else is wrong with it', async () => {
      // Microsoft's writer: string times in the actor token, which only legacy partners may send.
      const fromScheduler = craftToken(
        { alg: 'RS256', typ: 'JWT', x5t: scheduler.signingKeys.active().x5t },
        {
          aud: AUD,
          iss: SCHEDULER,
          nameid: SCHEDULER,
          nbf: String(now()),
          exp: String(now() + 300),
          trustedfordelegation: 'true',
        },
        schedulerKey,
      );
      const token = outer(fromScheduler, { iss: SCHEDULER });
      expect(await refusedBoth(token, 'legacy_token_refused')).toMatchObject({ partner: 'scheduler' });
    });
  });

  describe('a token issued before the replay store began to remember (a restart) is unverifiable', () => {
    it('the in-memory store of a restarted process refuses a token from before it with 401 replay_unverifiable, then as a replay; a new token passes', async () => {
      const clock = manualClock();
      const caller = createS2SAuth(messaging.config, { clock });
      const { token } = await caller.issuer.mint({ audience: CONTACTS_AUDIENCE });
      clock.advance(2000); // the process restarts: a new store, created after the token was issued
      const restarted = createS2SAuth(
        await serviceConfig('contacts', { partners: partnersFor({ legacyTokens: false }) }),
        { clock },
      );
      // verify() once (explain() asks the store too, and would find the id recorded by then).
      const error = (await restarted.verifier.verify(token).catch((e: unknown) => e)) as TokenError;
      expect(error).toMatchObject({
        code: 'replay_unverifiable',
        status: 401,
        error: 'invalid_token',
        partner: 'messaging',
        claim: 'nbf',
      });
      expect(error.headers['WWW-Authenticate']).toContain('error="invalid_token"');
      await refusedBoth(token, 'token_replayed', restarted);
      const fresh = (await caller.issuer.mint({ audience: CONTACTS_AUDIENCE })).token;
      await expect(restarted.verifier.verify(fresh)).resolves.toMatchObject({ partner: 'messaging' });
    });

    it("a custom store's 'unverifiable' (sync or async) is the same refusal", async () => {
      for (const remember of [() => 'unverifiable' as const, () => Promise.resolve('unverifiable' as const)]) {
        const s2s = await contactsWith(partnersFor(), { remember });
        await refusedBoth(outer(actorToken()), 'replay_unverifiable', s2s);
      }
    });
  });

  describe('a store that cannot answer fails closed with a 503', () => {
    it.each([
      ['hangs', { remember: () => new Promise<boolean>(() => undefined) }],
      [
        'throws',
        {
          remember: () => {
            throw new Error('connection refused');
          },
        },
      ],
      ['rejects', { remember: () => Promise.reject(new Error('READONLY')) }],
      ['answers nonsense', { remember: () => Promise.resolve('OK' as unknown as boolean) }],
    ])('when it %s', async (label, store) => {
      const s2s = await contactsWith(partnersFor(), store, 50);
      const token = outer(actorToken());
      const error = await s2s.verifier.verify(token).catch((e: unknown) => e);
      if (label === 'answers nonsense') {
        // Anything but `true` is not a first sighting: refused as a replay, never accepted.
        expect(error).toMatchObject({ code: 'token_replayed' });
        return;
      }
      expect(error).toMatchObject({
        code: 'replay_store_unavailable',
        status: 503,
        retryAfterSeconds: 1,
        headers: { 'Retry-After': '1' },
        partner: 'messaging',
      });
      expect((error as TokenError).headers['WWW-Authenticate']).toBeUndefined();
      expect((await s2s.verifier.explain(token)).error?.code).toBe('replay_store_unavailable');
    });
  });

  describe('every registered claim and header member is type-checked', () => {
    it.each([
      ['iat a day in the future', { iat: now() + 86400, exp: now() + 86400 + 60 }, 'token_not_yet_valid', 'iat'],
      [
        'iat ten years in the future',
        { iat: now() + 10 * 365 * 86400, exp: now() + 10 * 365 * 86400 + 60 },
        'token_not_yet_valid',
        'iat',
      ],
      ['iat not a number', { iat: 'yesterday' }, 'token_malformed', 'iat'],
      ['iat a string of digits from a non-legacy partner', { iat: String(now()) }, 'token_malformed', 'iat'],
      ['iat null', { iat: null }, 'token_malformed', 'iat'],
      ['iat after exp', { iat: now() + 301, nbf: now() - 10, exp: now() + 300 }, 'token_malformed', 'iat'],
      ['nbf not a number', { nbf: true }, 'token_malformed', 'nbf'],
      ['exp missing', { exp: undefined }, 'token_malformed', 'exp'],
      ['aud an empty array', { aud: [] }, 'token_malformed', 'aud'],
      ['aud with a non-string entry', { aud: [AUD, 7] }, 'token_malformed', 'aud'],
      ['aud an object', { aud: { value: AUD } }, 'token_malformed', 'aud'],
      ['iss an empty string', { iss: '' }, 'token_malformed', 'iss'],
      ['iss a number', { iss: 7 }, 'token_malformed', 'iss'],
      ['nameid a number in an app-only token', { nameid: 7 }, 'token_malformed', 'nameid'],
      [
        'nii a number',
        { nii: 1, act: { nameid: SCHEDULER }, nameid: 'S-1', upn: 'a@contoso.com' },
        'token_malformed',
        'nii',
      ],
      ['act an array', { act: [{ nameid: SCHEDULER }], upn: 'a@contoso.com' }, 'token_malformed', 'act'],
      ['act with an empty nameid', { act: { nameid: '' }, upn: 'a@contoso.com' }, 'token_malformed', 'act.nameid'],
      ['act without a nameid', { act: {}, upn: 'a@contoso.com' }, 'token_malformed', 'act.nameid'],
      ['an actortoken in a signed token', { actortoken: 'a.b.c' }, 'token_malformed', 'actortoken'],
    ])('refuses %s', async (_label, extra, code, claim) => {
      expect(await refusedBoth(signed(extra), code)).toMatchObject({ claim });
    });

    it.each([
      ['typ of another kind of JWT', { typ: 'dpop+jwt' }, 'typ'],
      ['typ a number', { typ: 1 }, 'typ'],
      ['kid a number (it would otherwise match no key and fall back to every key)', { kid: 1 }, 'kid'],
      ['kid empty', { kid: '' }, 'kid'],
      ['x5t of the wrong length', { x5t: 'abc' }, 'x5t'],
      ['x5t not a string', { x5t: ['x'] }, 'x5t'],
      ['x5t#S256 of the wrong length', { 'x5t#S256': 'abc' }, 'x5t#S256'],
    ])('refuses a header with %s', async (_label, head, claim) => {
      expect(await refusedBoth(signed({}, head), 'token_malformed')).toMatchObject({ claim });
    });

    it('accepts typ in any case, and RFC 9068 access-token types', async () => {
      for (const typ of ['jwt', 'JWT', 'at+jwt', 'application/at+jwt'])
        await expect(contacts.verifier.verify(signed({}, { typ }))).resolves.toMatchObject({ partner: 'scheduler' });
    });

    it("accepts Microsoft's string times, iat included, from a legacy partner", async () => {
      const actor = actorToken({ nbf: String(now()), iat: String(now()), exp: String(now() + 300) });
      await expect(contacts.verifier.verify(outer(actor))).resolves.toMatchObject({ partner: 'messaging' });
    });

    it('accepts an iat within the clock skew', async () => {
      await expect(contacts.verifier.verify(signed({ iat: now() + 30 }))).resolves.toMatchObject({
        partner: 'scheduler',
      });
    });
  });

  describe('one signature, one spelling', () => {
    it('refuses a signature whose last character carries unused bits', async () => {
      const token = signed();
      const last = token.at(-1)!;
      // RS256 signatures are 256 bytes: 342 characters, the last carrying 4 bits and 2 unused.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) | 1]!;
      expect(Buffer.from(token.slice(token.lastIndexOf('.') + 1, -1) + sibling, 'base64url')).toEqual(
        Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'),
      );
      await expect(contacts.verifier.verify(token)).resolves.toBeDefined();
      expect(await refusedBoth(`${token.slice(0, -1)}${sibling}`, 'token_malformed')).toMatchObject({
        message: 'the signature is not canonical base64url',
      });
      // 345 characters leave a lone sextet: no byte string is spelt so.
      await refusedBoth(`${token}AAA`, 'token_malformed');
    });
  });

  describe('the principal is read-only, all the way down', () => {
    it('no mutation of a principal changes a later verdict or a later cache hit', async () => {
      const s2s = await contactsWith(partnersFor({ requireUniqueJti: false }));
      const token = outer(actorToken());
      const principal = await s2s.verifier.verify(token);
      const attempts: Array<() => void> = [
        () => (principal.permissions as string[]).push('contacts.admin'),
        () => Object.assign(principal.user!, { id: 'mallory', upn: 'mallory@contoso.com' }),
        () => Object.assign(principal.claims.aud as object, { 0: 'x' }),
        () => Object.assign(principal.unsignedClaims!, { upn: 'mallory@contoso.com' }),
        () => Object.assign(principal, { trustLevel: 'Full', partner: 'other' }),
        () => (s2s.partners.list()[0]!.permissions as string[]).push('contacts.admin'),
      ];
      for (const attempt of attempts) expect(attempt).toThrow(TypeError);
      const again = await s2s.verifier.verify(token);
      expect(again.user).toEqual({ nameid: 'S-1-5-21-42', upn: 'alice@contoso.com', id: 'S-1-5-21-42' });
      expect(again.permissions).toEqual(['contacts.read']);
      const other = await s2s.verifier.verify(outer(actorToken()));
      expect(other.permissions).toEqual(['contacts.read']);
      expect(s2s.partners.get('messaging')!.config.permissions).toEqual(['contacts.read']);
    });
  });
});
