import type { Partner } from '../core/partners/partner-registry';
import { parseBearerChallenge } from './bearer-challenge-parser';
import { PartnerFetchError } from './partner-fetch-error';
import { inSpan, type SpanRunner } from '../core/instrumentation';

/**
 * Learns the realm of a partner whose realm is not configured, once per partner: an empty
 * `Authorization: Bearer` and the `realm` of the 401 challenge (shared/PROTOCOL.md). A failure is
 * forgotten, so a later call tries again.
 */
export class RealmDiscovery {
  private readonly discovered = new Map<string, Promise<string>>();

  constructor(
    private readonly fetchImpl: typeof fetch,
    /** Read on every discovery (a reload updates it in place). */
    private readonly settings: { readonly discoveryTimeoutMs: number },
    private readonly span?: SpanRunner,
  ) {}

  realmOf(partner: Partner, url: URL): Promise<string> {
    const name = partner.config.name;
    let pending = this.discovered.get(name);
    if (!pending) {
      const attributes = { 's2s_oauth.partner': name, 'server.address': url.host };
      pending = inSpan(this.span, 's2s_oauth.realm_discovery', attributes, () =>
        this.fetchImpl(url, {
          method: 'GET',
          headers: { authorization: 'Bearer ' },
          redirect: 'manual',
          signal: AbortSignal.timeout(this.settings.discoveryTimeoutMs),
        }).then(async (response) => {
          await response.body?.cancel();
          const realm = parseBearerChallenge(response.headers.get('www-authenticate'))?.realm;
          if (response.status !== 401 || !realm) throw new Error(`answered ${response.status} without a Bearer realm`);
          return realm;
        }),
      ).catch((error: unknown) => {
        this.discovered.delete(name);
        throw new PartnerFetchError(
          'realm_discovery_failed',
          `cannot discover the realm of partner "${name}" at ${url.origin}: ${(error as Error).message}`,
          { cause: error },
        );
      });
      this.discovered.set(name, pending);
    }
    return pending;
  }
}
