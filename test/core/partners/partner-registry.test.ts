import { PartnerRegistry } from '../../../src/core/partners/partner-registry';
import { ConfigError } from '../../../src/core/errors/config-error';
import { VerifiedTokenCache } from '../../../src/core/caches/verified-token-cache';
import { MemoryReplayStore, ReplayStoreFullError } from '../../../src/core/caches/replay-store';
import { quoteParameter, createChallengeBuilder } from '../../../src/core/tokens/bearer-challenge';
import { IDS } from '../../helpers/certificates';

const SETTINGS = {
  ttlSeconds: 60,
  refreshCooldownSeconds: 30,
  staleIfErrorSeconds: 60,
  timeoutMs: 1000,
  maxResponseBytes: 1024,
  allowInsecureHosts: [],
};

describe('partner registry', () => {
  const make = () =>
    new PartnerRegistry(
      [
        {
          name: 'im',
          applicationId: IDS.messaging,
          realm: 'contoso.com',
          trustLevel: 'Full',
          enabled: true,
          permissions: [],
          clientIds: [],
          legacyTokens: false,
          requireUniqueJti: false,
          baseUrls: [],
          outbound: { kind: 'self-issued' },
        },
      ],
      SETTINGS,
      Date.now,
    );

  it('adds, updates, disables, enables, removes and lists partners at run time', async () => {
    const registry = make();
    registry.add({ name: 'sched', applicationId: IDS.scheduler, realm: 'contoso.com', trustLevel: 'User' });
    expect(registry.list().map((p) => [p.name, p.trustLevel, p.enabled])).toEqual([
      ['im', 'Full', true],
      ['sched', 'User', true],
    ]);
    registry.update('sched', { trustLevel: 'Application', permissions: ['meetings.write'] });
    expect(registry.get('sched')!.config).toMatchObject({ trustLevel: 'Application', permissions: ['meetings.write'] });
    registry.disable('im');
    expect(registry.get('im')!.config.enabled).toBe(false);
    registry.enable('im');
    expect(registry.get('im')!.config.enabled).toBe(true);
    expect(registry.remove('sched')).toBe(true);
    expect(registry.list().map((p) => p.name)).toEqual(['im']);
    expect((await registry.findByIssuer(IDS.scheduler, 'contoso.com')).partner).toBeUndefined();
  });

  it('makes a new object on every change, so cached verifications can tell', () => {
    const registry = make();
    const before = registry.get('im')!;
    expect(registry.isCurrent(before)).toBe(true);
    registry.update('im', { permissions: ['x'] });
    expect(registry.isCurrent(before)).toBe(false);
  });

  it('finds a partner by issuer, GUIDs in any case, and reports a realm mismatch', async () => {
    const registry = make();
    expect((await registry.findByIssuer(IDS.messaging.toUpperCase(), 'contoso.com')).partner?.config.name).toBe('im');
    expect(await registry.findByIssuer(IDS.messaging, 'fabrikam.com')).toEqual({ reason: 'realm_mismatch' });
    expect(await registry.findByIssuer(IDS.other, 'contoso.com')).toEqual({ reason: 'unknown_partner' });
  });

  it('names the field of an invalid change', () => {
    const registry = make();
    expect(() => registry.add({ name: 'im', applicationId: 'x', trustLevel: 'Full' })).toThrow(ConfigError);
    expect(() => registry.update('im', { trustLevel: 'Root' as never })).toThrow(
      expect.objectContaining({ path: 'trustLevel' }),
    );
    expect(() =>
      registry.add({ name: 'x', trustLevel: 'Full', keySource: { kind: 'jwks', url: 'https://x/jwks' } }),
    ).toThrow(expect.objectContaining({ path: 'applicationId' }));
    expect(() => registry.disable('nobody')).toThrow(/no partner named "nobody"/);
  });

  it("refuses a partner whose base URLs overlap another's, where the last one used to win", () => {
    const registry = make();
    registry.update('im', { baseUrls: ['https://im.contoso.com/api'] });
    expect(() =>
      registry.add({
        name: 'im2',
        applicationId: 'y',
        trustLevel: 'Full',
        baseUrls: ['https://im.contoso.com/api/v2'],
      }),
    ).toThrow(
      expect.objectContaining({
        path: 'baseUrls',
        message:
          's2s-oauth config: baseUrls: https://im.contoso.com/api/v2 overlaps https://im.contoso.com/api of partner "im"',
      }),
    );
    registry.add({ name: 'im2', applicationId: 'y', trustLevel: 'Full', baseUrls: ['https://im.contoso.com/apiv2'] });
    expect(() => registry.update('im2', { baseUrls: ['https://im.contoso.com/'] })).toThrow(
      expect.objectContaining({ path: 'baseUrls' }),
    );
    expect(registry.get('im2')!.config.baseUrls).toEqual(['https://im.contoso.com/apiv2']);
  });
});

describe('bounded caches', () => {
  it('the verified-token cache never holds more than its cap and expires entries', () => {
    const cache = new VerifiedTokenCache<number>(100);
    for (let i = 0; i < 100_000; i++) cache.set(VerifiedTokenCache.keyOf(`token-${i}`), i, 2000);
    expect(cache.size).toBe(100);
    expect(cache.get(VerifiedTokenCache.keyOf('token-99999'), 1000)).toBe(99999);
    expect(cache.get(VerifiedTokenCache.keyOf('token-99999'), 2000)).toBeUndefined();
    expect(cache.get(VerifiedTokenCache.keyOf('token-0'), 1000)).toBeUndefined();
  });

  it('the replay store refuses a seen id until it expires, and stays within its cap', () => {
    let now = 0;
    const store = new MemoryReplayStore(10, () => now);
    expect(store.remember('a', 100)).toBe(true);
    expect(store.remember('a', 100)).toBe(false);
    now = 100;
    expect(store.remember('a', 200)).toBe(true);
    for (let i = 0; i < 1000; i++) {
      try {
        store.remember(`id-${i}`, 10_000);
      } catch {
        // full of live ids: refused, see below
      }
    }
    expect((store as unknown as { seen: Map<string, number> }).seen.size).toBeLessThanOrEqual(10);
  });

  it('the replay store never forgets a live id to make room: when full of live ids it fails closed', () => {
    let now = 0;
    const store = new MemoryReplayStore(3, () => now);
    for (const id of ['a', 'b', 'c']) expect(store.remember(id, 1000)).toBe(true);
    expect(() => store.remember('d', 1000)).toThrow(ReplayStoreFullError);
    // Every live id is still refused as a replay: none was dropped.
    for (const id of ['a', 'b', 'c']) expect(store.remember(id, 1000)).toBe(false);
    now = 1000; // all expired: room again
    expect(store.remember('d', 2000)).toBe(true);
    expect(store.remember('d', 2000)).toBe(false);
  });
});

describe('challenges', () => {
  it('escapes quotes and backslashes and removes control characters', () => {
    expect(quoteParameter('a "b" \\ c\r\nd')).toBe('"a \\"b\\" \\\\ c  d"');
  });

  it('puts realm first, then client_id and trusted_issuers, then the error', () => {
    const build = createChallengeBuilder({
      realm: 'contoso.com',
      clientId: IDS.contacts,
      trustedIssuers: ['*@contoso.com', '*@fabrikam.com'],
    });
    expect(build()).toBe(
      `Bearer realm="contoso.com", client_id="${IDS.contacts}", trusted_issuers="*@contoso.com,*@fabrikam.com"`,
    );
    expect(build('invalid_token', 'say "no"')).toBe(
      `${build()}, error="invalid_token", error_description="say \\"no\\""`,
    );
  });
});
