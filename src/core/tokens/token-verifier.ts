import type { Clock } from '../clock';
import type { EventSink } from '../events';
import { VerifiedTokenCache } from '../caches/verified-token-cache';
import { rememberWithin, type ReplayStore } from '../caches/replay-store';
import { TokenError } from '../errors/token-error';
import { KeySourceUnavailable, type KeySource } from '../partners/key-source';
import { KeySourceError } from '../partners/fetch-document';
import type { IssuerMatch, Partner, PartnerRegistry } from '../partners/partner-registry';
import type { AuthorizationServer, AuthorizationServers } from '../partners/authorization-server';
import { selectKeys, type KeySet, type VerificationKey } from '../partners/verification-key';
import { chain, type MaybePromise } from '../maybe-async';
import { checkAudience, checkTimeWindow, checkUserRealm, issuerOf, optionalString, userFromClaims, type AudienceSubject, type TimeWindow } from './claim-checks';
import { parseCompactJws, type CompactJws } from './compact-jws';
import { checkActorTokenForm, checkOuterAgreesWithActor, unwrapOuter } from './legacy-token';
import { principalFromServerToken } from './server-token-claims';
import { deepFreeze, type Principal } from './principal';
import { formatPrincipal, parseName } from './principal-names';
import { keyFitsAlgorithm, verifySignature, type AllowedAlgorithm } from './signature-algorithms';
import { checkSignedHeader } from './token-header';

export type { VerificationEvent } from '../events';

/** One check `token explain` reports. */
export interface CheckStep {
  check: string;
  detail: string;
}

/** Options of {@link TokenVerifier}; {@link S2SAuth} builds them from the configuration. */
export interface TokenVerifierOptions {
  serviceName: string;
  realms: readonly string[];
  hostnames: readonly string[];
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  maxTokenBytes: number;
  registry: PartnerRegistry;
  /** Authorization servers whose access tokens we accept (cloud and hybrid set-ups). */
  servers: AuthorizationServers;
  replayStore: ReplayStore;
  /** How long the replay store may take to answer before the request gets a 503 (fail closed). */
  replayTimeoutMs: number;
  verifiedTokenCacheSize: number;
  clock: Clock;
  /** Builds the `WWW-Authenticate` value for an error (see `createChallengeBuilder`). */
  challenge: (error?: string, description?: string) => string;
  onEvent?: EventSink;
}

interface Verified {
  principal: Principal;
  /** The partner behind a self-issued token (undefined for authorization-server tokens). */
  partner: Partner | undefined;
  /** Tokens whose `jti` must be unique are never served from the verified-token cache. */
  uniqueJti: boolean;
}

interface SignedToken {
  partner: Partner;
  applicationId: string;
  realm: string;
  claims: Record<string, unknown>;
  window: TimeWindow;
}

/**
 * Records a passed check for `token explain`. Undefined when nobody listens, and always called as
 * `trace?.(...)`, so on the hot path the detail strings are never even built.
 */
type Trace = ((check: string, detail: string) => void) | undefined;

/**
 * The one place every trust decision about an inbound token is made (framework-neutral).
 * `verify(token)` resolves to a {@link Principal} or rejects with a {@link TokenError} whose
 * `headers` are ready to send.
 *
 * Checks, in order: size; compact form; algorithm allow-list (asymmetric only; `none` only as the
 * legacy outer token of a partner configured for it); no `crit`; `iss` names a known, enabled
 * partner in its realm; a key of THAT partner (by `kid`, `x5t`, `x5t#S256`; keys in the token's
 * own header - `jwk`, `jku`, `x5u`, `x5c` - are ignored); signature; `exp` / `nbf` with skew; the
 * lifetime cap; `aud`; actor consistency; trust level (only `Full` names a user on its own
 * authority, a `User` partner never calls app-only, users only of our realms); `jti` replay when
 * the partner requires it.
 *
 * It does NOT check permissions or route rules: guards do, with {@link checkRequirement}.
 */
export class TokenVerifier {
  private readonly cache: VerifiedTokenCache<{ principal: Principal; partner: Partner | undefined }>;
  /** Who we are, for audience checks (built once). */
  private readonly us: AudienceSubject;

  constructor(private readonly options: TokenVerifierOptions) {
    this.cache = new VerifiedTokenCache(options.verifiedTokenCacheSize);
    this.us = { serviceName: options.serviceName, realms: options.realms, hostnames: options.hostnames.map((h) => h.toLowerCase()) };
  }

  private fromCache(key: string): Principal | undefined {
    const entry = this.cache.get(key, this.options.clock());
    if (!entry) return undefined;
    if (entry.partner && !this.options.registry.isCurrent(entry.partner)) {
      // Disabled, removed or changed since: verify afresh so the right code is reported.
      this.cache.delete(key);
      return undefined;
    }
    this.options.onEvent?.({ type: 'accepted', partner: entry.principal.partner, realm: entry.principal.realm, userId: entry.principal.user?.id, cached: true });
    return entry.principal;
  }

  /** Verifies a token; see the class documentation for every check. */
  verify(token: string): Promise<Principal> {
    try {
      return Promise.resolve(this.authenticate(token));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link verify} for adapters on a hot path: returns the principal synchronously whenever no
   * I/O is pending (a cached token, or a partner whose keys are in memory), and a promise only
   * when keys must be fetched or an asynchronous replay store answers. Throws (or rejects with)
   * a {@link TokenError} that has been reported and carries its headers.
   */
  authenticate(token: string): MaybePromise<Principal> {
    if (typeof token !== 'string') throw this.refuse(new TokenError('token_malformed', 'the token is not a string'));
    const key = token.length > this.options.maxTokenBytes ? undefined : VerifiedTokenCache.keyOf(token);
    const cached = key && this.fromCache(key);
    if (cached) return cached;
    let checked: MaybePromise<Verified>;
    try {
      checked = this.check(token, undefined);
    } catch (error) {
      throw this.rejected(error);
    }
    if (checked instanceof Promise) {
      return checked.then(
        (verified) => this.accepted(key, verified),
        (error: unknown) => {
          throw this.rejected(error);
        },
      );
    }
    return this.accepted(key, checked);
  }

  private accepted(key: string | undefined, { principal, partner, uniqueJti }: Verified): Principal {
    if (key && !uniqueJti) this.cache.set(key, { principal, partner }, principal.expiresAt + this.options.clockSkewSeconds * 1000);
    this.options.onEvent?.({ type: 'accepted', partner: principal.partner, realm: principal.realm, userId: principal.user?.id, cached: false });
    return principal;
  }

  /** Runs every check and reports each one passed, then the principal or the error (for `token explain`). */
  async explain(token: string): Promise<{ steps: CheckStep[]; principal?: Principal; error?: TokenError }> {
    const steps: CheckStep[] = [];
    try {
      if (typeof token !== 'string') throw new TokenError('token_malformed', 'the token is not a string');
      const { principal } = await this.check(token, (check, detail) => steps.push({ check, detail }));
      return { steps, principal };
    } catch (error) {
      if (error instanceof TokenError) return { steps, error: this.withHeaders(error) };
      if (error instanceof KeySourceUnavailable) return { steps, error: this.withHeaders(toUnavailable(error)) };
      throw error;
    }
  }

  /** Attaches the challenge (and `Retry-After`) to an error made outside the verifier (guards, bearer extraction). */
  withHeaders(error: TokenError): TokenError {
    // A 503 is an outage, not a challenge to authenticate differently: Retry-After only.
    error.headers = error.status < 500 ? { 'WWW-Authenticate': this.options.challenge(error.error, error.error ? error.message : undefined) } : {};
    if (error.retryAfterSeconds !== undefined) error.headers['Retry-After'] = String(error.retryAfterSeconds);
    return error;
  }

  /**
   * Records a refusal (an event) and attaches its headers: for errors of `verify` and for those
   * adapters raise themselves (bearer extraction, guards), so every refusal is reported alike.
   */
  refuse(error: TokenError): TokenError {
    const reason = error.code === 'replay_store_unavailable' ? 'replay_store' : error.cause instanceof KeySourceError ? error.cause.reason : undefined;
    this.options.onEvent?.({ type: 'rejected', code: error.code, status: error.status, ...(error.partner && { partner: error.partner }), ...(reason && { reason }) });
    return this.withHeaders(error);
  }

  private rejected(error: unknown): unknown {
    const tokenError = error instanceof KeySourceUnavailable ? toUnavailable(error) : error;
    return tokenError instanceof TokenError ? this.refuse(tokenError) : error;
  }

  /**
   * The choice of trust source. Partners are matched first, by the `iss` of the form
   * `<principal id>@<realm>` (synchronously when their identities are known), and only an issuer
   * that names no partner is looked up among the authorization servers: a server can never sign
   * as a partner, whatever its issuer says. Partner tokens never wait on a server's metadata.
   */
  private check(token: string, trace: Trace): MaybePromise<Verified> {
    if (token.length > this.options.maxTokenBytes) throw new TokenError('token_too_large', `the token is over ${this.options.maxTokenBytes} bytes`);
    const jws = parseCompactJws(token);
    if (jws.header.alg === 'none') return this.checkLegacy(jws, trace);
    const alg = checkSignedHeader(jws.header);
    trace?.('format', `compact JWS, alg ${alg}`);
    trace?.('algorithm', `${alg} is allowed`);
    if (jws.payload.actortoken !== undefined) throw new TokenError('token_malformed', 'only the legacy outer token carries an actor token', { claim: 'actortoken' });
    const iss = issuerOf(jws.payload);
    return chain(this.findPartner(iss), (match) => {
      if (match.partner) return taggedWith(match.partner.config.name, () => chain(this.checkPartnerSignature(jws, alg, match, trace), (signed) => this.checkPartnerClaims(signed, trace)));
      return chain(this.options.servers.findByIssuer(iss), (found) => {
        if (!found.server) throw found.unavailable ?? partnerLookupError(match);
        // A partner we could not look up may be the one this issuer names: fail closed.
        if (match.reason === 'key_source_unavailable') throw match.cause;
        return this.checkServerToken(jws, alg, found.server, trace);
      });
    });
  }

  /** App-only or signed user-context claims of a partner's token. */
  private checkPartnerClaims(signed: SignedToken, trace: Trace): MaybePromise<Verified> {
    const { claims } = signed;
    const act = claims.act;
    let user: Principal['user'];
    let actor: string;
    if (act !== undefined) {
      if (typeof act !== 'object' || act === null || Array.isArray(act)) throw new TokenError('token_malformed', 'the act claim is not an object', { claim: 'act' });
      const actorName = optionalString(act as Record<string, unknown>, 'nameid', 'act.nameid');
      if (actorName === undefined) throw new TokenError('token_malformed', 'the act claim has no nameid', { claim: 'act.nameid' });
      actor = this.checkActor(actorName, signed);
      user = userFromClaims(claims);
      if (!user) throw new TokenError('token_malformed', 'the token has an act claim but names no user', { claim: 'act' });
    } else {
      actor = this.checkActor(optionalString(claims, 'nameid') ?? formatPrincipal(signed.applicationId, signed.realm), signed);
    }
    trace?.('actor', actor);
    return this.finish(signed, user, actor, undefined, trace);
  }

  /** An authorization server's access token: its keys only, its time window, then its claims. */
  private checkServerToken(jws: CompactJws, alg: AllowedAlgorithm, server: AuthorizationServer, trace: Trace): MaybePromise<Verified> {
    trace?.('issuer', `authorization server ${server.config.name} (${String(jws.payload.iss)})`);
    return taggedWith(server.config.name, () => chain(this.verifyWithKeys(jws, alg, server.keySource), (key) => {
      trace?.('key', `${describeKey(key)} from ${server.keySource.description}`);
      trace?.('signature', 'valid');
      const window = checkTimeWindow(jws.payload, { now: this.options.clock(), skewSeconds: this.options.clockSkewSeconds, maxLifetimeSeconds: this.options.maxLifetimeSeconds, legacy: false });
      trace?.('time', `nbf ${iso(window.nbf)}, exp ${iso(window.exp)}, lifetime ${window.exp - window.nbf} s`);
      const principal = principalFromServerToken(jws.payload, window, server, this.us, trace);
      return { principal, partner: undefined, uniqueJti: false };
    }));
  }

  /**
   * Microsoft's legacy user-context token: the unsigned outer token, then the partner its signed
   * actor token names, whose setting is looked at before any claim of the actor token (a partner
   * not configured for the legacy form hears `legacy_token_refused`, whatever else is wrong),
   * then the partner steps on the actor token, then the outer token's agreement with it.
   */
  private checkLegacy(outer: CompactJws, trace: Trace): MaybePromise<Verified> {
    const inner = parseCompactJws(unwrapOuter(outer));
    checkActorTokenForm(inner);
    const alg = checkSignedHeader(inner.header);
    return chain(this.findPartner(issuerOf(inner.payload)), (match) => {
      if (!match.partner) throw partnerLookupError(match);
      const { partner } = match;
      return taggedWith(partner.config.name, () => {
        if (!partner.config.enabled) throw new TokenError('partner_disabled', 'the partner is disabled');
        if (!partner.config.legacyTokens) throw new TokenError('legacy_token_refused', 'this partner is not configured for legacy user-context tokens');
        return chain(this.checkPartnerSignature(inner, alg, match, trace), (signed) => {
          const actor = this.checkActor(optionalString(signed.claims, 'nameid') ?? '', signed);
          const { user, window } = checkOuterAgreesWithActor(outer.payload, signed.claims, actor, signed.window, this.timeOptions(partner));
          trace?.('legacy outer token', `iss, aud and window agree with the actor token; acting ${actor}`);
          return this.finish({ ...signed, window }, user, actor, outer.payload, trace);
        });
      });
    });
  }

  /** The partner an `iss` of the form `<principal id>@<realm>` names. */
  private findPartner(iss: string): MaybePromise<IssuerMatch> {
    const name = parseName(iss);
    if (!name || name.host !== undefined) return { reason: 'unknown_partner' };
    return this.options.registry.findByIssuer(name.principalId, name.realm);
  }

  /** Enabled partner, its key, the signature, the time window and the audience. */
  private checkPartnerSignature(jws: CompactJws, alg: AllowedAlgorithm, match: IssuerMatch & { partner: Partner }, trace: Trace): MaybePromise<SignedToken> {
    const { partner } = match;
    if (!partner.config.enabled) throw new TokenError('partner_disabled', 'the partner is disabled');
    trace?.('partner', `${partner.config.name} (${match.applicationId}@${match.realm}, trust ${partner.config.trustLevel})`);
    const payload = jws.payload;
    return chain(
      this.verifyWithKeys(jws, alg, partner.keySource),
      (key) => {
        trace?.('key', `${describeKey(key)} from ${partner.keySource!.description}`);
        trace?.('signature', 'valid');
        const window = checkTimeWindow(payload, this.timeOptions(partner));
        trace?.('time', `nbf ${iso(window.nbf)}, exp ${iso(window.exp)}, now ${new Date(this.options.clock()).toISOString()}, skew ${this.options.clockSkewSeconds} s, lifetime ${window.exp - window.nbf} s`);
        const audience = checkAudience(payload, this.us);
        trace?.('audience', `${audience} is ours`);
        return { partner, applicationId: match.applicationId, realm: match.realm, claims: payload, window };
      },
    );
  }

  /**
   * Checks the signature with the keys of ONE source (the issuer's): synchronously from cached
   * keys, else after fetching them; a key id the source does not publish triggers one
   * cooldown-limited refresh.
   */
  private verifyWithKeys(jws: CompactJws, alg: AllowedAlgorithm, source: KeySource | undefined): MaybePromise<VerificationKey> {
    if (!source) throw new TokenError('key_not_found', 'no key source is configured for this partner');
    const withKeys = (keySet: KeySet | undefined): VerificationKey | undefined => {
      const selected = keySet && selectKeys(keySet.keys, jws.header, this.options.clock(), this.options.clockSkewSeconds * 1000);
      if (!selected) return undefined;
      if (selected.outOfDate) throw new TokenError('partner_certificate_expired', 'the certificate of the key that signed this token has expired or is not valid yet');
      for (const candidate of selected.usable) {
        if (keyFitsAlgorithm(candidate.key, alg) && verifySignature(alg, candidate.key, jws.signingInput, jws.signature)) return candidate;
      }
      throw new TokenError('signature_invalid', 'the signature does not verify with the issuer\'s keys');
    };
    const cached = source.cachedKeys();
    const now = cached && withKeys(cached);
    if (now) return now;
    const refresh = async () => {
      const fetched = cached ? undefined : withKeys(await source.getKeys());
      if (fetched) return fetched;
      // An unknown key id may mean the partner rotated: refresh, within the cooldown.
      const refreshed = await source.refreshForUnknownKey().catch((e: unknown) => {
        if (e instanceof KeySourceUnavailable) return undefined;
        throw e;
      });
      const found = withKeys(refreshed);
      if (!found) throw new TokenError('key_not_found', 'the token names a key its issuer does not publish');
      return found;
    };
    return refresh();
  }

  /** The acting principal must be the issuer itself, or a client id the partner vouches for. */
  private checkActor(actor: string, signed: SignedToken): string {
    const expected = [signed.applicationId, ...signed.partner.config.clientIds].map((id) => formatPrincipal(id, signed.realm));
    if (!expected.includes(actor)) throw new TokenError('actor_mismatch', 'the acting principal is neither the issuer nor a client it vouches for');
    return actor;
  }

  /**
   * Trust-level rules, user realm, replay; then the principal. `unsignedClaims` are the legacy
   * outer token's: kept apart, since only the user identity may come from them. Replay is
   * checked on the SIGNED token's `jti`: an unsigned outer id could be changed at will.
   */
  private finish(signed: SignedToken, user: Principal['user'], actor: string, unsignedClaims: Record<string, unknown> | undefined, trace: Trace): MaybePromise<Verified> {
    const { partner, claims } = signed;
    const trust = partner.config.trustLevel;
    if (!user && trust === 'User') throw new TokenError('app_only_not_allowed', 'a User-trust partner cannot call as itself');
    if (user && trust !== 'Full') {
      throw new TokenError('user_context_not_allowed', `a ${trust}-trust partner acts for a user only with a token from an authorization server`);
    }
    if (user) checkUserRealm(user, this.options.realms);
    trace?.('trust', user ? `${trust} trust may act for ${user.id}` : `${trust} trust may call as itself`);

    // Frozen all the way down: the claims were parsed for this token alone and the partner's
    // permissions are frozen in the registry, so no handler can change a later verdict.
    const principal: Principal = Object.freeze({
      kind: user ? 'user' : 'app',
      partner: partner.config.name,
      applicationId: signed.applicationId,
      realm: signed.realm,
      trustLevel: trust,
      permissions: partner.config.permissions,
      actor,
      ...(user && { user }),
      issuer: formatPrincipal(signed.applicationId, signed.realm),
      source: 'partner',
      expiresAt: signed.window.exp * 1000,
      claims: deepFreeze(claims),
      ...(unsignedClaims && { unsignedClaims: deepFreeze(unsignedClaims) }),
    });
    if (!partner.config.requireUniqueJti) return { principal, partner, uniqueJti: false };
    const jti = optionalString(claims, 'jti');
    if (jti === undefined) throw new TokenError('token_malformed', 'this partner\'s tokens must carry a jti', { claim: 'jti' });
    const expiresAt = (signed.window.exp + this.options.clockSkewSeconds) * 1000;
    const recorded = rememberWithin(this.options.replayStore, `${partner.config.name}:${jti}`, expiresAt, this.options.replayTimeoutMs);
    return chain(recorded, (first) => {
      if (!first) throw new TokenError('token_replayed', 'this token has been used already', { claim: 'jti' });
      trace?.('replay', 'jti seen for the first time');
      return { principal, partner, uniqueJti: true };
    });
  }

  private timeOptions(partner: Partner) {
    return {
      now: this.options.clock(),
      skewSeconds: this.options.clockSkewSeconds,
      maxLifetimeSeconds: partner.config.maxTokenLifetimeSeconds ?? this.options.maxLifetimeSeconds,
      legacy: partner.config.legacyTokens,
    };
  }
}

/** The refusal for an issuer that is no partner (or a partner of another realm). */
function partnerLookupError(match: IssuerMatch): unknown {
  if (match.partner) throw new Error('unreachable: the partner was found');
  if (match.reason === 'key_source_unavailable') return match.cause;
  return new TokenError(match.reason, match.reason === 'realm_mismatch' ? 'the issuer is a partner of another realm' : 'the issuer is not a known partner or authorization server');
}

/** Runs the steps of one partner or server, marking every refusal with its name (for events and logs). */
function taggedWith<T>(name: string, steps: () => MaybePromise<T>): MaybePromise<T> {
  const tag = (error: unknown) => {
    const refusal = error instanceof KeySourceUnavailable ? toUnavailable(error) : error;
    if (refusal instanceof TokenError) refusal.partner ??= name;
    return refusal;
  };
  try {
    const result = steps();
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(tag(error))) : result;
  } catch (error) {
    throw tag(error);
  }
}

function toUnavailable(error: KeySourceUnavailable): TokenError {
  return new TokenError('key_source_unavailable', 'the partner\'s keys cannot be fetched right now', { cause: error, retryAfterSeconds: error.retryAfterSeconds });
}

function describeKey(key: VerificationKey): string {
  return key.kid ? `kid ${key.kid}` : key.x5t ? `x5t ${key.x5t}` : 'an unnamed key';
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
