import type { Clock } from '../core/clock';
import type { OutboundConfig, S2SConfig } from '../core/config/config-schema';
import type { Partner, PartnerRegistry } from '../core/partners/partner-registry';
import type { TokenIssuer } from '../core/tokens/token-issuer';
import { chain, type MaybePromise } from '../core/maybe-async';
import type { AuthorizationServers } from '../core/partners/authorization-server';
import type { SigningKeyRing } from '../core/certificates/signing-key-ring';
import type { FetchLimits } from '../core/partners/fetch-document';
import { assertUserIdentity, type UserIdentity } from '../core/tokens/user-identity';
import type { EventSink, OutboundEvent } from '../core/events';
import { inSpan, type SpanRunner } from '../core/instrumentation';
import { parseBearerChallenge } from './bearer-challenge-parser';
import { requestClientCredentialsToken } from './client-credentials';
import { OutboundTokenCache } from './outbound-token-cache';
import { PartnerFetchError } from './partner-fetch-error';
import { PartnerRouting, tokenCacheKey, type Target } from './partner-routing';
import { RealmDiscovery } from './realm-discovery';
import { isReplayable } from './replayable-body';
import { sendWithinOrigin } from './same-origin-redirects';
import { SigningError } from '../core/certificates/signer';

export { PartnerFetchError } from './partner-fetch-error';

/** `fetch` options plus the partner call's own. */
export interface PartnerFetchInit extends RequestInit {
  /** Call on behalf of this user (a user-context token); omit for an app-only call. */
  actAs?: UserIdentity;
  /** Name the partner instead of finding it by URL; the URL must still be under one of its `baseUrls`. */
  partner?: string;
}

/** Options of {@link PartnerFetch.getToken}. */
export interface GetTokenOptions {
  /** A user-context token on behalf of this user; omit for app-only. */
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

/**
 * The request headers plus ours. A plain object stays a plain object (undici copies a `Headers`
 * instance once more, a measurable cost per call); any caller's `Authorization` is replaced.
 */
function withAuthorization(
  input: string | URL | Request,
  headers: HeadersInit | undefined,
  authorization: string,
): HeadersInit {
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

/** A signer that was late, failed or signed wrongly: the call fails with its own code (nothing was sent). */
function signingFailed(error: unknown): never {
  if (error instanceof SigningError)
    throw new PartnerFetchError('signing_failed', `no token could be signed: ${error.message}`, { cause: error });
  throw error;
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
  /** Wraps the token step, token requests and realm discovery in spans (an instrumentation's). */
  span?: SpanRunner;
}

/** One call's particulars, handed to the steps that send it. */
interface Call {
  input: string | URL | Request;
  init: RequestInit | undefined;
  target: Target;
  actAs: UserIdentity | undefined;
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
 * It follows a partner's redirects only within the origin the call went to: one to another origin
 * is refused (`redirect_refused`), so neither the call's body nor its token is handed elsewhere.
 */
export function createPartnerFetch(deps: PartnerFetchDependencies): PartnerFetch {
  const fetchImpl = deps.fetch ?? fetch;
  const { settings } = deps;
  // The settings object is shared and read live: a configuration reload updates it in place.
  const cache = new OutboundTokenCache(settings, deps.clock);
  const routing = new PartnerRouting(deps.registry, settings);
  const discovery = new RealmDiscovery(fetchImpl, settings, deps.span);
  const report = (
    outcome: OutboundEvent['outcome'],
    partner: string | undefined,
    details: { code?: string; refresh?: boolean } = {},
  ) =>
    deps.onEvent?.({
      type: 'outbound',
      outcome,
      ...(partner !== undefined && { partner }),
      ...details,
    });
  /** Reports a refusal of ours (nothing was sent) and passes the error on. */
  const refused = (error: unknown, partner: string | undefined): never => {
    if (error instanceof PartnerFetchError) report('refused', partner, { code: error.code });
    throw error;
  };
  async function identity(partner: Partner, discoveryUrl: URL): Promise<{ applicationId: string; realm: string }> {
    const known = await deps.registry.identityOf(partner);
    if (!known.applicationId)
      throw new PartnerFetchError(
        'partner_identity_unknown',
        `partner "${partner.config.name}" has no applicationId (configure it, or a metadata key source)`,
      );
    return {
      applicationId: known.applicationId,
      realm: known.realm ?? (await discovery.realmOf(partner, discoveryUrl)),
    };
  }

  /**
   * The token for a call and its cache key. Synchronous when the partner's id and realm are
   * configured and the token is cached (the common case: no await on the hot path).
   */
  function tokenFor(
    partner: Partner,
    host: string,
    discoveryUrl: URL,
    actAs: UserIdentity | undefined,
  ): MaybePromise<CachedToken> {
    const cached = (applicationId: string, realm: string): MaybePromise<CachedToken> => {
      const key = tokenCacheKey(partner, applicationId, host, realm, actAs);
      return chain(
        cache.get(key, (refresh) => {
          report('minted', partner.config.name, { refresh });
          return deps.issuer
            .mint({
              audience: { principalId: applicationId, host, realm },
              ...(actAs && { user: actAs }),
              legacy: partner.config.legacyTokens,
            })
            .catch(signingFailed);
        }),
        (minted) => ({ key, token: minted.token }),
      );
    };
    if (partner.config.outbound.kind === 'authorization-server')
      return fromAuthorizationServer(partner, partner.config.outbound, discoveryUrl, actAs);
    const { applicationId, realm } = partner.config;
    if (applicationId && realm) return cached(applicationId, realm);
    // Identity not configured: learn it (metadata document, realm discovery) first.
    return identity(partner, discoveryUrl).then((id) => cached(id.applicationId, id.realm));
  }

  /** A partner reached through an authorization server: a client-credentials token for its resource (or scope). */
  function fromAuthorizationServer(
    partner: Partner,
    outbound: OutboundConfig & { kind: 'authorization-server' },
    url: URL,
    actAs: UserIdentity | undefined,
  ): MaybePromise<CachedToken> {
    const serverName = outbound.server;
    if (actAs) {
      throw new PartnerFetchError(
        'user_token_unavailable',
        `partner "${partner.config.name}" is reached through authorization server "${serverName}": a call for a user needs a token that server issued for that user`,
      );
    }
    const server = deps.servers.get(serverName);
    if (!server)
      throw new PartnerFetchError('unknown_authorization_server', `no authorization server named "${serverName}"`);
    const scope = outbound.scope;
    const resource = outbound.resource ?? (scope ? undefined : url.origin);
    const key = `${partner.config.name}\u0002${resource ?? ''}\u0002${scope ?? ''}`;
    const attributes = { 's2s_oauth.partner': partner.config.name, 's2s_oauth.authorization_server': serverName };
    const request = (refresh: boolean) =>
      inSpan(deps.span, 's2s_oauth.token_request', attributes, () =>
        requestClientCredentialsToken({
          server,
          clientId: server.config.clientId ?? deps.defaultClientId,
          credential: deps.signingKeys.active(),
          ...(resource && { resource }),
          ...(scope && { scope }),
          limits: deps.serverLimits,
          clock: deps.clock,
        }),
      ).then(
        (minted) => {
          report('token_requested', partner.config.name, { refresh });
          return minted;
        },
        (error: unknown) => {
          if (error instanceof SigningError) signingFailed(error); // our assertion, not the server's refusal
          throw new PartnerFetchError('token_request_failed', (error as Error).message, { cause: error });
        },
      );
    return chain(cache.get(key, request), (minted) => ({ key, token: minted.token }));
  }

  /**
   * The token step of a call that has no fresh cached token: minted (or asked of a server, or
   * waited for), in a span when instrumented. Always a promise; a synchronous throw becomes a
   * rejection. `host` is the audience's host (`getToken` may name another than the URL's).
   */
  function tokenStep(
    partner: Partner,
    url: URL,
    actAs: UserIdentity | undefined,
    host = url.host,
  ): Promise<CachedToken> {
    const attributes = { 's2s_oauth.partner': partner.config.name, 's2s_oauth.call': actAs ? 'user' : 'app' };
    return inSpan(deps.span, 's2s_oauth.outbound.token', attributes, async () => tokenFor(partner, host, url, actAs));
  }

  /** Sends with `token`; on a 401 `invalid_token` with a replayable body, retries exactly once. */
  function send(call: Call, key: string, authorization: string): Promise<Response> {
    return sendWithinOrigin(fetchImpl, call.input, {
      ...call.init,
      headers: withAuthorization(call.input, call.init?.headers, authorization),
    }).then(
      (response) => (response.status === 401 ? retryOnce(call, key, authorization.slice(7), response) : response),
      (error: unknown) => refused(error, call.target.partner.config.name),
    );
  }

  async function retryOnce(call: Call, key: string, token: string, response: Response): Promise<Response> {
    if (
      parseBearerChallenge(response.headers.get('www-authenticate'))?.error !== 'invalid_token' ||
      !isReplayable(call.input, call.init)
    )
      return response;
    // Exactly one retry, with a token minted afresh; whatever it answers is the answer.
    await response.body?.cancel();
    report('retried', call.target.partner.config.name);
    cache.invalidate(key, token);
    const fresh = await tokenStep(call.target.partner, call.target.url, call.actAs);
    return sendWithinOrigin(fetchImpl, call.input, {
      ...call.init,
      headers: withAuthorization(call.input, call.init?.headers, `Bearer ${fresh.token}`),
    });
  }

  const partnerFetch = function partnerFetch(
    input: string | URL | Request,
    init?: PartnerFetchInit,
  ): Promise<Response> {
    let fetchInit: RequestInit | undefined;
    let actAs: UserIdentity | undefined;
    let partnerName: string | undefined;
    let target: Target;
    try {
      if (init) ({ actAs, partner: partnerName, ...fetchInit } = init);
      if (actAs) assertUserIdentity(actAs, 'actAs');
      target = routing.targetOf(input, partnerName);
    } catch (error) {
      return Promise.reject(error).catch((e: unknown) => refused(e, partnerName));
    }
    // The hot path (a repeated app-only call): a fresh cached token, no await before fetch.
    const call: Call = { input, init: fetchInit, target, actAs };
    const fresh = !actAs && target.appOnlyKey !== undefined ? cache.peek(target.appOnlyKey) : undefined;
    if (fresh) return send(call, target.appOnlyKey!, fresh);
    return tokenStep(target.partner, target.url, actAs)
      .catch((error: unknown) => refused(error, target.partner.config.name))
      .then((sent) => send(call, sent.key, `Bearer ${sent.token}`));
  } as PartnerFetch;

  partnerFetch.getToken = async (partnerName: string, options: GetTokenOptions = {}) => {
    if (options.actAs) assertUserIdentity(options.actAs, 'actAs');
    const partner = deps.registry.get(partnerName);
    if (!partner) throw new PartnerFetchError('unknown_partner', `no partner named "${partnerName}"`);
    const base = partner.config.baseUrls[0];
    if (!base && !options.host)
      throw new PartnerFetchError(
        'url_not_configured_for_partner',
        `partner "${partnerName}" lists no baseUrls: give options.host`,
      );
    const url = new URL(base ?? `https://${options.host}/`);
    return (await tokenStep(partner, url, options.actAs, options.host ?? url.host)).token;
  };
  return partnerFetch;
}
