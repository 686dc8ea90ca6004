import type { Clock } from '../clock';
import type { EventSink } from '../events';
import { VerifiedTokenCache } from '../caches/verified-token-cache';
import type { ReplayStore } from '../caches/replay-store';
import { TokenError } from '../errors/token-error';
import { KeySourceUnavailable } from '../partners/key-source';
import { KeySourceError } from '../partners/fetch-document';
import type { IssuerMatch, Partner, PartnerRegistry } from '../partners/partner-registry';
import type { AuthorizationServer, AuthorizationServers } from '../partners/authorization-server';
import { chain, type MaybePromise } from '../maybe-async';
import { parseName } from '../principal-names';
import { audienceSubject, optionalString, type AudienceSubject } from './claim-checks';
import type { CompactJws } from './compact-jws';
import { checkLegacyAllowed, checkOuterAgreesWithActor, checkOuterForm } from './legacy-token';
import {
  applyTrustRules,
  checkActingPrincipal,
  checkActor,
  checkPartnerEnabled,
  checkReplay,
  checkSignedPartnerToken,
  principalFromPartnerToken,
  type ReplayDefence,
} from './partner-token-claims';
import type { Principal } from './principal';
import { readToken, type ReadToken } from './read-token';
import { checkServerWindow, principalFromServerToken } from './server-token-claims';
import { checkSignature, describeKey } from './signature-check';
import type { AllowedAlgorithm } from './signature-algorithms';
import {
  concerning,
  keySourceRefusal,
  timeRulesFor,
  type Trace,
  type VerificationContext,
  type Verified,
} from './verification-context';

export type { VerificationEvent } from '../events';

/** One check `token explain` reports as passed. */
export interface CheckStep {
  /** The check: `format`, `algorithm`, `partner`, `key`, `signature`, `time`, `audience`, `actor`, `trust`, `replay`, ... */
  check: string;
  /** What it found, for a person (never the token or a key). */
  detail: string;
}

/** What {@link TokenVerifier.explain} found: every check passed, then the principal or the refusal. */
export interface Explanation {
  /** The checks passed, in order. */
  steps: CheckStep[];
  /** The principal, when the token would be accepted. */
  principal?: Principal;
  /** The refusal, made whole, when it would not. */
  error?: TokenError;
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
  /** Give decisions a `durationMs` (an instrumentation asked for verification times). */
  timed?: boolean;
}

/**
 * The one place every trust decision about an inbound token is made (framework-neutral).
 * `verify(token)` resolves to a {@link Principal} or rejects with a {@link TokenError} whose
 * `headers` are ready to send. The path of a token, step by step:
 *
 * ```
 * readToken -> chooseTrustSource -+- partner: checkSignature -> checkWindow -> checkAudience -> checkActor -> applyTrustRules -> checkReplay
 *                                 +- legacy:  (partner steps on the actor token) -> checkOuterAgreesWithActor
 *                                 +- server:  checkSignature -> checkWindow -> principalFromServerToken
 * ```
 *
 * This class keeps the verified-token cache, the events, `explain` and the choice of path; the
 * steps live in their own modules. It does NOT check permissions or route rules: guards do.
 */
export class TokenVerifier {
  private cache: VerifiedTokenCache<{ principal: Principal; partner: Partner | undefined }>;
  /** Who we are, for audience checks (built once). */
  private readonly us: AudienceSubject;
  private replay: ReplayDefence;

  constructor(private readonly options: TokenVerifierOptions) {
    this.cache = new VerifiedTokenCache(options.verifiedTokenCacheSize);
    this.us = audienceSubject(options.serviceName, options.realms, options.hostnames);
    this.replay = { store: options.replayStore, timeoutMs: options.replayTimeoutMs };
  }

  /**
   * Applies reloaded limits: clock skew, lifetime cap, token size, replay timeout. A new skew or
   * lifetime cap also needs {@link resetCache} (verdicts reached under the old window), which
   * `S2SAuth.reload()` does.
   * @internal
   */
  reconfigure(
    limits: Pick<TokenVerifierOptions, 'clockSkewSeconds' | 'maxLifetimeSeconds' | 'maxTokenBytes' | 'replayTimeoutMs'>,
  ): void {
    Object.assign(this.options, limits);
    this.replay = { store: this.options.replayStore, timeoutMs: limits.replayTimeoutMs };
  }

  /**
   * Empties the verified-token cache, with a new bound (a reload that changes the authorization
   * servers, whose tokens' cached verdicts name no partner to re-check, the time window's skew or
   * lifetime cap, or the bound itself).
   * @internal
   */
  resetCache(maxEntries: number): void {
    this.cache = new VerifiedTokenCache(maxEntries);
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
   * a whole {@link TokenError} that has been reported.
   */
  authenticate(token: string): MaybePromise<Principal> {
    const started = this.options.timed ? performance.now() : undefined;
    if (typeof token !== 'string')
      throw this.rejected(new TokenError('token_malformed', 'the token is not a string'), started);
    const key = token.length > this.options.maxTokenBytes ? undefined : this.cache.keyFor(token);
    const cached = key && this.fromCache(key, started);
    if (cached) return cached;
    let checked: MaybePromise<Verified>;
    try {
      checked = this.check(token, undefined);
    } catch (error) {
      throw this.rejected(error, started);
    }
    if (!(checked instanceof Promise)) return this.accepted(token, key, checked, started);
    return checked.then(
      (verified) => this.accepted(token, key, verified, started),
      (error: unknown) => Promise.reject(this.rejected(error, started)),
    );
  }

  /** Runs every check, reporting each one passed, then the principal or the refusal (for `token explain`). */
  async explain(token: string): Promise<Explanation> {
    const steps: CheckStep[] = [];
    try {
      if (typeof token !== 'string') throw new TokenError('token_malformed', 'the token is not a string');
      const { principal } = await this.check(token, (check, detail) => steps.push({ check, detail }));
      return { steps, principal };
    } catch (error) {
      const refusal = error instanceof KeySourceUnavailable ? keySourceRefusal(error) : error;
      if (refusal instanceof TokenError) return { steps, error: this.whole(refusal) };
      throw error;
    }
  }

  /**
   * Makes a refusal whole (its `WWW-Authenticate` challenge, and `Retry-After` on 503) and
   * reports it: for the verifier's own refusals and those adapters raise (bearer extraction,
   * guards), so every refusal is answered and reported alike.
   */
  refuse(error: TokenError): TokenError {
    return this.report(error, undefined);
  }

  /** Reports a refusal (with the verification's time when timed) and makes it whole. */
  private report(error: TokenError, started: number | undefined): TokenError {
    const reason =
      error.code === 'replay_store_unavailable'
        ? 'replay_store'
        : error.cause instanceof KeySourceError
          ? error.cause.reason
          : undefined;
    this.options.onEvent?.({
      type: 'rejected',
      code: error.code,
      status: error.status,
      ...(error.partner && { partner: error.partner }),
      ...(reason && { reason }),
      ...(started !== undefined && { cached: false, durationMs: performance.now() - started }),
    });
    return this.whole(error);
  }

  /** The path of one token: read it, choose its trust source, run that source's steps. */
  private check(token: string, trace: Trace): MaybePromise<Verified> {
    const context: VerificationContext = {
      now: this.options.clock(),
      skewSeconds: this.options.clockSkewSeconds,
      maxLifetimeSeconds: this.options.maxLifetimeSeconds,
      us: this.us,
      trace,
    };
    const read = readToken(token, this.options.maxTokenBytes, trace);
    return chain(this.chooseTrustSource(read), (source) => {
      if (source.partner)
        return read.form === 'legacy'
          ? this.legacyPath(read, source, context)
          : this.partnerPath(read.jws, read.alg, source, context);
      return this.serverPath(read.jws, read.alg, source.server, context);
    });
  }

  /**
   * Partners first, by an `iss` of the form `<principal id>@<realm>` (synchronously when their
   * identities are known); only an issuer that names no partner is looked up among the
   * authorization servers, so a server can never sign as a partner whatever its issuer says, and
   * partner tokens never wait on a server's metadata. The legacy form is a partner's only.
   */
  private chooseTrustSource(
    read: ReadToken,
  ): MaybePromise<(IssuerMatch & { partner: Partner }) | { partner?: undefined; server: AuthorizationServer }> {
    const name = parseName(read.iss);
    const partnerMatch: MaybePromise<IssuerMatch> =
      !name || name.host !== undefined
        ? { reason: 'unknown_partner' }
        : this.options.registry.findByIssuer(name.principalId, name.realm);
    return chain(partnerMatch, (match) => {
      if (match.partner) return match;
      if (read.form === 'legacy') return this.refuseLegacyOfNoPartner(read.iss, match);
      return chain(this.options.servers.findByIssuer(read.iss), (found) => {
        if (!found.server) throw found.unavailable ?? partnerLookupError(match);
        // A partner we could not look up may be the one this issuer names: fail closed.
        if (match.reason === 'key_source_unavailable') throw match.cause;
        return { server: found.server };
      });
    });
  }

  /**
   * A legacy-form token whose actor is no partner: when an authorization server issued the actor
   * token, that is the truth to tell (servers have no legacy form); otherwise why no partner matched.
   */
  private refuseLegacyOfNoPartner(iss: string, match: IssuerMatch): MaybePromise<never> {
    if (match.partner || match.reason !== 'unknown_partner') throw partnerLookupError(match);
    return chain(this.options.servers.findByIssuer(iss), (found) => {
      if (!found.server) throw partnerLookupError(match);
      throw new TokenError(
        'legacy_token_refused',
        'authorization servers have no legacy form: send their token as it is, not inside an unsigned outer token',
        { partner: found.server.config.name },
      );
    });
  }

  /** partner: checkSignature -> checkWindow -> checkAudience -> checkActor -> applyTrustRules -> checkReplay */
  private partnerPath(
    jws: CompactJws,
    alg: AllowedAlgorithm,
    match: IssuerMatch & { partner: Partner },
    context: VerificationContext,
  ): MaybePromise<Verified> {
    const { partner } = match;
    return concerning(partner.config.name, () => {
      checkPartnerEnabled(partner);
      return chain(checkSignedPartnerToken(jws, alg, match, context), (signed) => {
        const { actor, user } = checkActor(signed);
        context.trace?.('actor', actor);
        applyTrustRules(partner, user, context);
        return checkReplay(principalFromPartnerToken(signed, actor, user), signed, this.replay, context);
      });
    });
  }

  /** legacy: the partner's setting, the outer token's form, the partner steps on the actor token, then checkOuterAgreesWithActor. */
  private legacyPath(
    read: ReadToken & { form: 'legacy' },
    match: IssuerMatch & { partner: Partner },
    context: VerificationContext,
  ): MaybePromise<Verified> {
    const { partner } = match;
    return concerning(partner.config.name, () => {
      checkPartnerEnabled(partner);
      checkLegacyAllowed(partner);
      checkOuterForm(read.outer);
      return chain(checkSignedPartnerToken(read.jws, read.alg, match, context), (actorToken) => {
        const actor = checkActingPrincipal(optionalString(actorToken.claims, 'nameid') ?? '', actorToken);
        const { user, window } = checkOuterAgreesWithActor(
          read.outer.payload,
          actorToken.claims,
          actor,
          actorToken.window,
          timeRulesFor(partner, context),
        );
        context.trace?.('legacy outer token', `iss, aud and window agree with the actor token; acting ${actor}`);
        applyTrustRules(partner, user, context);
        const signed = { ...actorToken, window };
        return checkReplay(
          principalFromPartnerToken(signed, actor, user, read.outer.payload),
          signed,
          this.replay,
          context,
        );
      });
    });
  }

  /** server: checkSignature -> checkWindow -> principalFromServerToken (its keys only). */
  private serverPath(
    jws: CompactJws,
    alg: AllowedAlgorithm,
    server: AuthorizationServer,
    context: VerificationContext,
  ): MaybePromise<Verified> {
    context.trace?.('issuer', `authorization server ${server.config.name} (${String(jws.payload.iss)})`);
    return concerning(server.config.name, () =>
      chain(checkSignature(jws, alg, server.keySource, context), (key) => {
        context.trace?.('key', `${describeKey(key)} from ${server.keySource.description}`);
        const window = checkServerWindow(jws.payload, context);
        return {
          principal: principalFromServerToken(jws.payload, window, server, context.us, context.trace),
          partner: undefined,
          uniqueJti: false,
        };
      }),
    );
  }

  private fromCache(key: string, started: number | undefined): Principal | undefined {
    const entry = this.cache.get(key, this.options.clock());
    if (!entry) return undefined;
    if (entry.partner && !this.options.registry.isCurrent(entry.partner)) {
      // Disabled, removed or changed since: verify afresh so the right code is reported.
      this.cache.delete(key);
      return undefined;
    }
    this.options.onEvent?.({
      type: 'accepted',
      partner: entry.principal.partner,
      realm: entry.principal.realm,
      userId: entry.principal.user?.id,
      cached: true,
      ...(started !== undefined && { durationMs: performance.now() - started }),
    });
    return entry.principal;
  }

  private accepted(
    token: string,
    key: string | undefined,
    { principal, partner, uniqueJti }: Verified,
    started: number | undefined,
  ): Principal {
    // A token whose jti must be unique is never served from the cache; any other is cached from
    // its second verification, the first only remembered (see VerifiedTokenCache).
    if (!uniqueJti) {
      if (key === undefined) this.cache.remember(token);
      else this.cache.set(key, { principal, partner }, principal.expiresAt + this.options.clockSkewSeconds * 1000);
    }
    this.options.onEvent?.({
      type: 'accepted',
      partner: principal.partner,
      realm: principal.realm,
      userId: principal.user?.id,
      cached: false,
      ...(started !== undefined && { durationMs: performance.now() - started }),
    });
    return principal;
  }

  private rejected(error: unknown, started: number | undefined): unknown {
    const refusal = error instanceof KeySourceUnavailable ? keySourceRefusal(error) : error;
    return refusal instanceof TokenError ? this.report(refusal, started) : error;
  }

  /** The refusal with its headers: a challenge for 4xx; for a 503 (an outage, not a bad token) `Retry-After` only. */
  private whole(error: TokenError): TokenError {
    const headers: Record<string, string> =
      error.status < 500
        ? { 'WWW-Authenticate': this.options.challenge(error.error, error.error ? error.message : undefined) }
        : {};
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
    return error.with({ headers });
  }
}

/** The refusal for an issuer that is no partner (or a partner of another realm). */
function partnerLookupError(match: IssuerMatch): unknown {
  if (match.partner) return new Error('unreachable: the partner was found');
  if (match.reason === 'key_source_unavailable') return match.cause;
  if (match.reason === 'partner_state_unavailable') {
    return new TokenError('partner_state_unavailable', "the fleet's partner state has not been read yet", {
      retryAfterSeconds: 1,
    });
  }
  return new TokenError(
    match.reason,
    match.reason === 'realm_mismatch'
      ? 'the issuer is a partner of another realm'
      : 'the issuer is not a known partner or authorization server',
  );
}
