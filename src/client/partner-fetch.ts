import type { Clock } from '../core/clock';
import type { S2SConfig } from '../core/config/config-schema';
import type { Partner, PartnerRegistry } from '../core/partners/partner-registry';
import type { TokenIssuer } from '../core/tokens/token-issuer';
import { chain, type MaybePromise } from '../core/maybe-async';
import type { AuthorizationServers } from '../core/partners/authorization-server';
import type { SigningKeyRing } from '../core/certificates/signing-key-ring';
import { isSecureOrAllowed, type FetchLimits } from '../core/partners/fetch-document';
import { requestClientCredentialsToken } from './client-credentials';
import { assertUserIdentity, USER_CLAIMS, type UserIdentity } from '../core/tokens/user-identity';
import { formatAudience } from '../core/principal-names';
import { parseBearerChallenge } from './bearer-challenge-parser';
import { OutboundTokenCache } from './outbound-token-cache';
import { isReplayable } from './replayable-body';
import type { EventSink, OutboundEvent } from '../core/events';

/** `fetch` options plus the partner call's own. */
export interface PartnerFetchInit extends RequestInit {
  /** Call on behalf of this user (a user-context token); omit for an app-only call. */
  actAs?: UserIdentity;
  /** Name the partner instead of finding it by URL; the URL must still be under one of its `baseUrls`. */
  partner?: string;
}

/** Options of {@link PartnerFetch.getToken}. */
export interface GetTokenOptions {
  actAs?: UserIdentity;
  /** The host (and port) the partner is called at: the audience's host. Default: its first `baseUrls` entry's. */
  host?: string;
}

/**
 * A `fetch` that attaches the right partner token. Same signature and result as `fetch`;
 * `getToken` serves other HTTP clients.
 */
export interface PartnerFetch {
  (input: string | URL | Request, init?: PartnerFetchInit): Promise<Response>;
  /** A token for `partner` (cached like the wrapper's), for use with another HTTP client. */
  getToken(partner: string, options?: GetTokenOptions): Promise<string>;
}

/** Why the wrapper refused to send a request: nothing was sent, and no token left the process. */
export class PartnerFetchError extends Error {
  override readonly name = 'PartnerFetchError';
  constructor(
    readonly code:
      | 'no_partner_for_url'
      | 'url_not_configured_for_partner'
      | 'insecure_url'
      | 'unknown_partner'
      | 'partner_disabled'
      | 'partner_identity_unknown'
      | 'realm_discovery_failed'
      | 'token_request_failed'
      | 'user_token_unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The token-cache key of (partner, audience, user). */
function tokenCacheKey(partner: Partner, applicationId: string, host: string, realm: string, actAs: UserIdentity | undefined): string {
  const userKey = actAs ? USER_CLAIMS.map((k) => actAs[k] ?? '').join('\u0000') : '';
  return `${partner.config.name}\u0001${formatAudience(applicationId, host, realm)}\u0001${userKey}`;
}

/** How many URL -> partner resolutions are remembered (cleared when full). */
const MAX_REMEMBERED_URLS = 1000;

/**
 * The request headers plus ours. A plain object stays a plain object (undici copies a `Headers`
 * instance once more, a measurable cost per call); any caller's `Authorization` is replaced.
 */
function withAuthorization(input: string | URL | Request, headers: HeadersInit | undefined, authorization: string): HeadersInit {
  if (headers === undefined && !(input instanceof Request)) return { authorization };
  if (headers !== undefined && !(headers instanceof Headers) && !Array.isArray(headers)) {
    const plain: Record<string, string> = {};
    for (const name in headers) if (name.toLowerCase() !== 'authorization') plain[name] = headers[name]!;
    plain.authorization = authorization;
    return plain;
  }
  const merged = new Headers(headers ?? (input as Request).headers);
  merged.set('authorization', authorization);
  return merged;
}

/** What {@link createPartnerFetch} needs; `S2SAuth.fetch()` provides it from the configuration. */
export interface PartnerFetchDependencies {
  registry: PartnerRegistry;
  issuer: TokenIssuer;
  settings: S2SConfig['outbound'];
  clock: Clock;
  /** The fetch to call (default `globalThis.fetch`); inject one in tests. */
  fetch?: typeof fetch;
  /** Authorization servers, for partners reached through one (client credentials). */
  servers: AuthorizationServers;
  /** Our signing certificates: client assertions are signed with the active one. */
  signingKeys: SigningKeyRing;
  /** Our client id at authorization servers that do not configure one (`<serviceName>@<realm>`). */
  defaultClientId: string;
  /** Timeout, size and insecure-host rules for talking to authorization servers. */
  serverLimits: FetchLimits;
  /** Receives `outbound` events (minted, token_requested, refused, retried); never a token. */
  onEvent?: EventSink;
}

interface Target {
  partner: Partner;
  url: URL;
  /** The token-cache key of an app-only call, when the partner's id and realm are configured. */
  appOnlyKey: string | undefined;
}

/** A token handed out, with the cache key it lives under (to invalidate it if refused). */
interface CachedToken {
  key: string;
  token: string;
}

/**
 * Builds the partner fetch wrapper. For each call it:
 * 1. finds the partner whose `baseUrls` contain the URL (or takes `init.partner`, whose `baseUrls`
 *    must still contain it), refusing any other URL, and plain `http:` unless the host is in
 *    `outbound.allowInsecureHosts`;
 * 2. mints with the built-in issuer for `<partner id>/<target host>@<partner realm>`, app-only or
 *    for `init.actAs`, in the form the partner is configured for (`legacyTokens`);
 * 3. caches tokens per (partner, audience, user): one mint for concurrent callers, refreshed
 *    before expiry with jitter, never sent expired;
 * 4. discovers an unconfigured partner realm once, from the 401 challenge to an empty bearer token;
 * 5. retries a 401 `invalid_token` exactly once with a fresh token when the body can be replayed;
 * 6. passes every other option (signal, method, body, headers, ...) to fetch unchanged.
 *
 * It does NOT follow the partner's redirects with the token to other origins: fetch drops the
 * `Authorization` header on cross-origin redirects.
 */
export function createPartnerFetch(deps: PartnerFetchDependencies): PartnerFetch {
  const fetchImpl = deps.fetch ?? fetch;
  const { settings } = deps;
  const cache = new OutboundTokenCache(
    { refreshBeforeExpirySeconds: settings.refreshBeforeExpirySeconds, refreshJitterSeconds: settings.refreshJitterSeconds, maxEntries: settings.maxCachedTokens },
    deps.clock,
  );
  const discoveredRealms = new Map<string, Promise<string>>();
  const report = (outcome: OutboundEvent['outcome'], partner: string | undefined, code?: string) =>
    deps.onEvent?.({ type: 'outbound', outcome, ...(partner !== undefined && { partner }), ...(code !== undefined && { code }) });
  /** Reports a refusal of ours (nothing was sent) and passes the error on. */
  const refused = (error: unknown, partner: string | undefined): never => {
    if (error instanceof PartnerFetchError) report('refused', partner, error.code);
    throw error;
  };
  const baseUrlsOf = new WeakMap<object, URL[]>();

  const baseUrls = (partner: Partner): URL[] => {
    let urls = baseUrlsOf.get(partner.config);
    if (!urls) baseUrlsOf.set(partner.config, (urls = partner.config.baseUrls.map((u) => new URL(u))));
    return urls;
  };
  // Under a base URL: same origin, and its path or below it (`/api` serves `/api` and `/api/x`, not `/apix`).
  const serves = (partner: Partner, url: URL) =>
    baseUrls(partner).some((base) => {
      if (base.origin !== url.origin) return false;
      const prefix = base.pathname.replace(/\/+$/, '');
      return prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    });

  function resolveTarget(url: URL, partnerName: string | undefined): Target {
    let partner: Partner | undefined;
    if (partnerName !== undefined) {
      partner = deps.registry.get(partnerName);
      if (!partner) throw new PartnerFetchError('unknown_partner', `no partner named "${partnerName}"`);
      if (!serves(partner, url)) throw new PartnerFetchError('url_not_configured_for_partner', `${url.origin}${url.pathname} is not under a baseUrl of partner "${partnerName}": no token sent`);
    } else {
      for (const candidate of deps.registry.all()) if (serves(candidate, url)) partner = candidate;
      if (!partner) throw new PartnerFetchError('no_partner_for_url', `no partner lists a baseUrl for ${url.origin}${url.pathname}: no token sent`);
    }
    if (!partner.config.enabled) throw new PartnerFetchError('partner_disabled', `partner "${partner.config.name}" is disabled`);
    if (!isSecureOrAllowed(url, settings.allowInsecureHosts)) {
      throw new PartnerFetchError('insecure_url', `refusing to send a token over ${url.protocol} to ${url.host} (not in outbound.allowInsecureHosts)`);
    }
    const { applicationId, realm, authorizationServer } = partner.config;
    const appOnlyKey = applicationId && realm && !authorizationServer ? tokenCacheKey(partner, applicationId, url.host, realm, undefined) : undefined;
    return { partner, url, appOnlyKey };
  }

  async function identity(partner: Partner, discoveryUrl: URL): Promise<{ applicationId: string; realm: string }> {
    const known = await deps.registry.identityOf(partner);
    if (!known.applicationId) throw new PartnerFetchError('partner_identity_unknown', `partner "${partner.config.name}" has no applicationId (configure it, or a metadata key source)`);
    return { applicationId: known.applicationId, realm: known.realm ?? (await discoverRealm(partner, discoveryUrl)) };
  }

  /** Once per partner: `Authorization: Bearer ` (empty) and the `realm` of the 401 challenge (shared/PROTOCOL.md). */
  function discoverRealm(partner: Partner, url: URL): Promise<string> {
    const name = partner.config.name;
    let pending = discoveredRealms.get(name);
    if (!pending) {
      pending = fetchImpl(url, { method: 'GET', headers: { authorization: 'Bearer ' }, redirect: 'manual', signal: AbortSignal.timeout(settings.discoveryTimeoutMs) })
        .then(async (response) => {
          await response.body?.cancel();
          const realm = parseBearerChallenge(response.headers.get('www-authenticate'))?.realm;
          if (response.status !== 401 || !realm) throw new Error(`answered ${response.status} without a Bearer realm`);
          return realm;
        })
        .catch((error: unknown) => {
          discoveredRealms.delete(name); // try again on a later call
          throw new PartnerFetchError('realm_discovery_failed', `cannot discover the realm of partner "${name}" at ${url.origin}: ${(error as Error).message}`, { cause: error });
        });
      discoveredRealms.set(name, pending);
    }
    return pending;
  }

  /**
   * The token for a call and its cache key. Synchronous when the partner's id and realm are
   * configured and the token is cached (the common case: no await on the hot path).
   */
  function tokenFor(partner: Partner, host: string, discoveryUrl: URL, actAs: UserIdentity | undefined): MaybePromise<CachedToken> {
    const cached = (applicationId: string, realm: string): MaybePromise<CachedToken> => {
      const key = tokenCacheKey(partner, applicationId, host, realm, actAs);
      return chain(
        cache.get(key, () => {
          report('minted', partner.config.name);
          return deps.issuer.mint({ audience: { principalId: applicationId, host, realm }, ...(actAs && { user: actAs }), legacy: partner.config.legacyTokens });
        }),
        (minted) => ({ key, token: minted.token }),
      );
    };
    if (partner.config.authorizationServer) return fromAuthorizationServer(partner, discoveryUrl, actAs);
    const { applicationId, realm } = partner.config;
    if (applicationId && realm) return cached(applicationId, realm);
    // Identity not configured: learn it (metadata document, realm discovery) first.
    return identity(partner, discoveryUrl).then((id) => cached(id.applicationId, id.realm));
  }

  // URL -> partner resolutions, reused while the partner definition is unchanged (checked on each hit).
  const targets = new Map<string, Target>();
  const targetOf = (input: string | URL | Request, partnerName: string | undefined): Target => {
    const href = typeof input === 'string' ? input : input instanceof Request ? input.url : input.href;
    const key = partnerName === undefined ? href : `${partnerName}\u0001${href}`;
    const known = targets.get(key);
    if (known && deps.registry.get(known.partner.config.name) === known.partner) return known;
    const target = resolveTarget(new URL(href), partnerName);
    if (targets.size >= MAX_REMEMBERED_URLS) targets.clear();
    targets.set(key, target);
    return target;
  };

  /** A partner reached through an authorization server: a client-credentials token for its resource (or scope). */
  function fromAuthorizationServer(partner: Partner, url: URL, actAs: UserIdentity | undefined): MaybePromise<CachedToken> {
    const serverName = partner.config.authorizationServer!;
    if (actAs) {
      throw new PartnerFetchError('user_token_unavailable', `partner "${partner.config.name}" is reached through authorization server "${serverName}": a call for a user needs a token that server issued for that user`);
    }
    const server = deps.servers.get(serverName);
    if (!server) throw new PartnerFetchError('unknown_partner', `no authorization server named "${serverName}"`);
    const scope = partner.config.scope;
    const resource = partner.config.resource ?? (scope ? undefined : url.origin);
    const key = `${partner.config.name}\u0002${resource ?? ''}\u0002${scope ?? ''}`;
    const request = () =>
      requestClientCredentialsToken({
        server,
        clientId: server.config.clientId ?? deps.defaultClientId,
        credential: deps.signingKeys.active(),
        ...(resource && { resource }),
        ...(scope && { scope }),
        limits: deps.serverLimits,
        clock: deps.clock,
      }).then(
        (minted) => {
          report('token_requested', partner.config.name);
          return minted;
        },
        (error: unknown) => {
          throw new PartnerFetchError('token_request_failed', (error as Error).message, { cause: error });
        },
      );
    return chain(cache.get(key, request), (minted) => ({ key, token: minted.token }));
  }

  /** Sends with `token`; on a 401 `invalid_token` with a replayable body, retries exactly once. */
  function send(input: string | URL | Request, fetchInit: RequestInit | undefined, target: Target, actAs: UserIdentity | undefined, key: string, authorization: string): Promise<Response> {
    return fetchImpl(input, { ...fetchInit, headers: withAuthorization(input, fetchInit?.headers, authorization) }).then((response) =>
      response.status === 401 ? retryOnce(input, fetchInit, target, actAs, key, authorization.slice(7), response) : response,
    );
  }

  async function retryOnce(input: string | URL | Request, fetchInit: RequestInit | undefined, target: Target, actAs: UserIdentity | undefined, key: string, token: string, response: Response): Promise<Response> {
    if (parseBearerChallenge(response.headers.get('www-authenticate'))?.error !== 'invalid_token' || !isReplayable(input, fetchInit)) return response;
    // Exactly one retry, with a token minted afresh; whatever it answers is the answer.
    await response.body?.cancel();
    report('retried', target.partner.config.name);
    cache.invalidate(key, token);
    const fresh = await tokenFor(target.partner, target.url.host, target.url, actAs);
    return fetchImpl(input, { ...fetchInit, headers: withAuthorization(input, fetchInit?.headers, `Bearer ${fresh.token}`) });
  }

  const partnerFetch = function partnerFetch(input: string | URL | Request, init?: PartnerFetchInit): Promise<Response> {
    let fetchInit: RequestInit | undefined;
    let actAs: UserIdentity | undefined;
    let partnerName: string | undefined;
    let target: Target;
    try {
      if (init) ({ actAs, partner: partnerName, ...fetchInit } = init);
      if (actAs) assertUserIdentity(actAs, 'actAs');
      target = targetOf(input, partnerName);
    } catch (error) {
      return Promise.reject(error).catch((e: unknown) => refused(e, partnerName));
    }
    // The hot path (a repeated app-only call): a fresh cached token, no await before fetch.
    const fresh = !actAs && target.appOnlyKey !== undefined ? cache.peek(target.appOnlyKey) : undefined;
    if (fresh) return send(input, fetchInit, target, actAs, target.appOnlyKey!, fresh);
    return Promise.resolve()
      .then(() => tokenFor(target.partner, target.url.host, target.url, actAs))
      .catch((error: unknown) => refused(error, target.partner.config.name))
      .then((sent) => send(input, fetchInit, target, actAs, sent.key, `Bearer ${sent.token}`));
  } as PartnerFetch;

  partnerFetch.getToken = async (partnerName: string, options: GetTokenOptions = {}) => {
    if (options.actAs) assertUserIdentity(options.actAs, 'actAs');
    const partner = deps.registry.get(partnerName);
    if (!partner) throw new PartnerFetchError('unknown_partner', `no partner named "${partnerName}"`);
    const base = partner.config.baseUrls[0];
    if (!base && !options.host) throw new PartnerFetchError('url_not_configured_for_partner', `partner "${partnerName}" lists no baseUrls: give options.host`);
    const url = new URL(base ?? `https://${options.host}/`);
    return (await tokenFor(partner, options.host ?? url.host, url, options.actAs)).token;
  };
  return partnerFetch;
}
