import { createS2SAuth } from '../../../src/s2s-auth';
import { VerifiedTokenCache } from '../../../src/core/caches/verified-token-cache';
import { MemoryReplayStore } from '../../../src/core/caches/replay-store';
import { KeyServer } from '../../helpers/key-server';
import { IDS } from '../../helpers/certificates';
import { serviceConfig } from '../../helpers/service';
import { trustedPartner } from '../../helpers/partners';

describe('registry and cache edges', () => {
  it('a verified-token cache of size 0 holds nothing; the default replay store has room', () => {
    const cache = new VerifiedTokenCache<string>(0);
    cache.set('k', 'v', Date.now() + 1000);
    expect(cache.get('k', Date.now())).toBeUndefined();
    expect(new MemoryReplayStore().remember('id', Date.now() + 1000)).toBe(true);
  });

  it('reload refuses overlapping base URLs as a whole; removing an unknown partner says false', async () => {
    const messaging = createS2SAuth(await serviceConfig('messaging'));
    const scheduler = createS2SAuth(await serviceConfig('scheduler'));
    const base = await serviceConfig('contacts');
    const s2s = createS2SAuth({ ...base, partners: [trustedPartner('messaging', messaging)] });
    expect(s2s.partners.remove('nobody')).toBe(false);
    const overlapping = [
      trustedPartner('messaging', messaging, { baseUrls: ['https://a.contoso.com/api'] }),
      trustedPartner('scheduler', scheduler, { baseUrls: ['https://a.contoso.com/api/v2'] }),
    ];
    expect(() =>
      s2s.partners.replaceAll(
        overlapping.map((p) => ({
          enabled: true,
          permissions: [],
          clientIds: [],
          legacyTokens: false,
          requireUniqueJti: false,
          outbound: { kind: 'self-issued' as const },
          ...p,
          baseUrls: p.baseUrls!,
        })),
      ),
    ).toThrow(expect.objectContaining({ path: 'partners[1].baseUrls' }));
    expect(s2s.partners.list().map((p) => p.name)).toEqual(['messaging']);
  });

  it('a metadata partner whose document is in another realm, or unreachable, is reported as such', async () => {
    const server = new KeyServer();
    await server.start();
    try {
      const other = createS2SAuth(await serviceConfig('other', { realm: 'fabrikam.com' }));
      server.document = other.metadataDocument();
      const s2s = createS2SAuth(
        await serviceConfig('contacts', {
          keySources: { allowInsecureHosts: ['127.0.0.1'], refreshCooldownSeconds: 0, timeoutMs: 300 },
          partners: [
            { name: 'other', trustLevel: 'Full', keySource: { kind: 'metadata', url: server.url('/metadata/json/1') } },
          ],
        }),
      );
      await expect(s2s.partners.findByIssuer(IDS.other, 'contoso.com')).resolves.toEqual({ reason: 'realm_mismatch' });
      server.mode = 'down';
      const cold = createS2SAuth(
        await serviceConfig('contacts', {
          keySources: { allowInsecureHosts: ['127.0.0.1'], refreshCooldownSeconds: 0, timeoutMs: 300 },
          partners: [
            { name: 'other', trustLevel: 'Full', keySource: { kind: 'metadata', url: server.url('/metadata/json/1') } },
          ],
        }),
      );
      await expect(cold.partners.findByIssuer(IDS.other, 'contoso.com')).resolves.toMatchObject({
        reason: 'key_source_unavailable',
      });
    } finally {
      await server.stop();
    }
  });
});
