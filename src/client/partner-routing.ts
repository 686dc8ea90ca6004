import type { Partner, PartnerRegistry } from '../core/partners/partner-registry';
import { isUnderBaseUrl } from '../core/partners/base-urls';
import { isSecureOrAllowed } from '../core/partners/fetch-document';
import { formatAudience } from '../core/principal-names';
import { USER_CLAIMS, type UserIdentity } from '../core/tokens/user-identity';
import { PartnerFetchError } from './partner-fetch-error';

/** A URL resolved to the partner that serves it. */
export interface Target {
  partner: Partner;
  url: URL;
  /** The token-cache key of an app-only call, when the partner's id and realm are configured and it is called with self-issued tokens. */
  appOnlyKey: string | undefined;
}

/** The token-cache key of (partner, audience, user). */
export function tokenCacheKey(
  partner: Partner,
  applicationId: string,
  host: string,
  realm: string,
  actAs: UserIdentity | undefined,
): string {
  const userKey = actAs ? USER_CLAIMS.map((k) => actAs[k] ?? '').join('\u0000') : '';
  return `${partner.config.name}\u0001${formatAudience(applicationId, host, realm)}\u0001${userKey}`;
}

/** How many URL -> partner resolutions are remembered (cleared when full). */
const MAX_REMEMBERED_URLS = 1000;

/**
 * Which partner a URL goes to: the one whose `baseUrls` contain it (base URLs never overlap, the
 * configuration refuses that), or the named one, whose `baseUrls` must still contain it; never a
 * URL no partner lists, never plain `http:` unless the host is allowed. Resolutions are
 * remembered while the partner definition is unchanged (checked on each hit).
 */
export class PartnerRouting {
  private readonly baseUrlsOf = new WeakMap<object, URL[]>();
  private readonly targets = new Map<string, Target>();

  /** The host list the remembered targets were resolved under. */
  private resolvedUnder: readonly string[] | undefined;

  constructor(
    private readonly registry: PartnerRegistry,
    /** Read on every resolution; a reload replaces the list (and so forgets remembered targets). */
    private readonly settings: { readonly allowInsecureHosts: readonly string[] },
  ) {}

  /** The target of a call to `input` (optionally naming the partner). Throws a {@link PartnerFetchError}: nothing is sent. */
  targetOf(input: string | URL | Request, partnerName: string | undefined): Target {
    const href = typeof input === 'string' ? input : input instanceof Request ? input.url : input.href;
    const key = partnerName === undefined ? href : `${partnerName}\u0001${href}`;
    if (this.resolvedUnder !== this.settings.allowInsecureHosts) {
      this.targets.clear();
      this.resolvedUnder = this.settings.allowInsecureHosts;
    }
    const known = this.targets.get(key);
    if (known && this.registry.get(known.partner.config.name) === known.partner) return known;
    const target = this.resolve(new URL(href), partnerName);
    if (this.targets.size >= MAX_REMEMBERED_URLS) this.targets.clear();
    this.targets.set(key, target);
    return target;
  }

  /** Whether one of the partner's base URLs serves `url`. */
  serves(partner: Partner, url: URL): boolean {
    let urls = this.baseUrlsOf.get(partner.config);
    if (!urls) this.baseUrlsOf.set(partner.config, (urls = partner.config.baseUrls.map((u) => new URL(u))));
    return urls.some((base) => isUnderBaseUrl(base, url));
  }

  private resolve(url: URL, partnerName: string | undefined): Target {
    let partner: Partner | undefined;
    if (partnerName !== undefined) {
      partner = this.registry.get(partnerName);
      if (!partner) throw new PartnerFetchError('unknown_partner', `no partner named "${partnerName}"`);
      if (!this.serves(partner, url))
        throw new PartnerFetchError(
          'url_not_configured_for_partner',
          `${url.origin}${url.pathname} is not under a baseUrl of partner "${partnerName}": no token sent`,
        );
    } else {
      for (const candidate of this.registry.all()) if (this.serves(candidate, url)) partner = candidate;
      if (!partner)
        throw new PartnerFetchError(
          'no_partner_for_url',
          `no partner lists a baseUrl for ${url.origin}${url.pathname}: no token sent`,
        );
    }
    if (!partner.config.enabled)
      throw new PartnerFetchError('partner_disabled', `partner "${partner.config.name}" is disabled`);
    if (!isSecureOrAllowed(url, this.settings.allowInsecureHosts)) {
      throw new PartnerFetchError(
        'insecure_url',
        `refusing to send a token over ${url.protocol} to ${url.host} (not in outbound.allowInsecureHosts)`,
      );
    }
    const { applicationId, realm, outbound } = partner.config;
    const appOnlyKey =
      applicationId && realm && outbound.kind === 'self-issued'
        ? tokenCacheKey(partner, applicationId, url.host, realm, undefined)
        : undefined;
    return { partner, url, appOnlyKey };
  }
}
