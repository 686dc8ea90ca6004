import type { ErrorRequestHandler, RequestHandler } from 'express';
import { resolve } from 'node:path';
import { systemClock, type Clock } from './core/clock';
import { ConfigError } from './core/errors/config-error';
import { watchSigningFiles } from './core/certificates/signing-file-watch';
import { watchFileContents } from './core/watch-file-contents';
import type { PublicJwk } from './core/certificates/oauth-certificate';
import type { S2SConfigInput } from './core/config/config-schema';
import { loadConfig, parseConfig, type ResolvedConfig } from './core/config/parse-config';
import { loadNextSigningKey, loadSigningKeys, type SigningKeyOptions } from './core/certificates/load-signing-keys';
import type { Signer } from './core/certificates/signer';
import type { SignerInput } from './core/config/config-input';
import type { SigningKeyRing } from './core/certificates/signing-key-ring';
import { buildJwks, buildMetadataDocument, type MetadataDocument } from './core/metadata/metadata-document';
import { TokenIssuer } from './core/tokens/token-issuer';
import { formatPrincipal } from './core/principal-names';
import { createMetadataRouter, type MetadataRouterOptions } from './express/metadata-router';
import { MemoryReplayStore, type ReplayStore } from './core/caches/replay-store';
import { PartnerRegistry, type ReloadResult } from './core/partners/partner-registry';
import { AuthorizationServers } from './core/partners/authorization-server';
import { createKeyCache, type RemoteKeySourceSettings } from './core/partners/key-source';
import { createChallengeBuilder } from './core/tokens/bearer-challenge';
import type { TrustLevel } from './core/config/config-schema';
import { TokenVerifier } from './core/tokens/token-verifier';
import { fanOut, type EventSink } from './core/events';
import type { Instrumentation } from './core/instrumentation';
import { logEvents, startupLine, writeLine, type Logger } from './core/logging/event-log';
import { reportCertificateExpiry } from './core/partners/certificate-expiry';
import { createErrorHandler } from './express/error-handler';
import { FleetSync } from './core/partners/fleet-sync';
import type { PartnerStateStore } from './core/partners/partner-state-store';
import { PartnerBearerStrategy } from './express/partner-bearer-strategy';
import { createVerifyMiddleware } from './express/verify-middleware';
import { createGuard } from './express/guards';
import './express/typed-user';
import { createPartnerFetch, type PartnerFetch } from './client/partner-fetch';

/** A JSON Web Key Set (RFC 7517 section 5): our published keys. */
export interface Jwks {
  /** Current, previous and scheduled next keys. */
  keys: PublicJwk[];
}

/** Options of {@link createS2SAuth} that are not part of the configuration file. */
export interface S2SAuthOptions {
  /** Source of "now" (ms); inject one in tests to move time. Default `Date.now`. */
  clock?: Clock;
  /**
   * Receives every event: accept / reject decisions (code, partner, realm, user id), key-source
   * fetches, failures and stale serving, partner certificates near expiry (at start-up), and
   * outbound mints, token requests, refusals and retries. Never a token, a key or a secret.
   * Must not throw.
   */
  onEvent?: EventSink;
  /**
   * Logs what operators need, at sensible levels, to any logger with the usual level methods
   * (pino, winston, `console`): a start-up summary (who we are, our certificate, partners; never
   * a secret), key-source failures (error) and stale serving (warn), partner changes, reloads and
   * certificates (info / warn), outages (warn) and refusals (debug). `onEvent` stays for custom
   * routing.
   */
  logger?: Logger;
  /**
   * Metrics and spans: `openTelemetry()` from `s2s-oauth/telemetry` (or any {@link Instrumentation}).
   * Without one, nothing is timed, counted or traced.
   */
  instrumentation?: Instrumentation;
  /** Where seen `jti`s are kept for partners with `requireUniqueJti` (default: in-process, bounded by `replayCache.maxEntries`). */
  replayStore?: ReplayStore;
  /** The fetch used for key sources and partner calls (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /**
   * Signers for keys that never enter the process (a cloud key vault, an HSM reached your own
   * way), by the name a `"signer": { "kind": "external", "name": ... }` entry of `signing` or
   * `signing.next` gives. Each signature is checked against the certificate; a probe at start-up
   * refuses a signer whose key is not the certificate's (`ready()` rejects with a `ConfigError`).
   */
  signers?: Readonly<Record<string, Signer>>;
  /** Where `{ "env": "NAME" }` certificates and keys are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Share run-time partner changes with the other instances of this service (`redisFleet()` from
   * `s2s-oauth/redis`): `partners.add / update / enable / disable / remove` on any instance is
   * recorded and applied by all, and survives restarts. Requests wait (up to 2 s, then 503
   * `partner_state_unavailable`) until the fleet's state has been read; `await s2s.ready()` first.
   */
  fleet?: PartnerStateStore;
  /**
   * The configuration file, for {@link S2SAuth.reload} without an argument (and `watchConfigFile`).
   * Read with `loadConfig(configFile, { env })`.
   */
  configFile?: string;
  /** Reload when `configFile` changes on disk (debounced; an invalid edit is refused as a whole, with a `reload` event). Default `false`. */
  watchConfigFile?: boolean;
  /**
   * Watch the certificate files partners are configured with (path form): new certificates are
   * used at once, a file that does not parse (half written) is refused and the partner keeps its
   * old keys (`partner_certificate` events). Default: off.
   */
  watchPartnerCertificates?: boolean;
  /**
   * Watch the signing certificate and key files (when given as paths): a new valid pair is
   * published at once and signs after `leadTimeSeconds` (default: `keySources.ttlSeconds`, long
   * enough for partners' key caches); a half-written or mismatched pair is never used (a
   * `signing_certificate` event says why, and the files are read again). Default: off.
   */
  watchSigningFiles?:
    | boolean
    | {
        /** Seconds between publishing a new certificate and signing with it. */
        leadTimeSeconds: number;
      };
}

export type { ReloadResult } from './core/partners/partner-registry';

/**
 * Top-level sections a reload applies as a whole; `signing` is applied for its `next` only. What
 * is left needs a restart by design: who we are (`serviceName`, `realm`,
 * `hostnames`, `additionalRealms`: every partner's configuration of us and every token in flight
 * name it) and the current signing pair (rotate with `signing.next` or `watchSigningFiles`).
 */
const RELOADABLE = new Set([
  'partners',
  'tokens',
  'keySources',
  'outbound',
  'verifiedTokenCache',
  'replayCache',
  'authorizationServers',
]);

/**
 * Everything one service needs, built from its one configuration: the built-in token issuer,
 * the published metadata and (in later sections) inbound verification and outbound calls.
 *
 * @example
 * ```ts
 * const s2s = createS2SAuth(loadConfig('s2s.json'));
 * app.use(s2s.metadataRouter());
 * ```
 */
export class S2SAuth {
  /** The validated configuration, defaults filled in. */
  get config(): ResolvedConfig {
    return this.current;
  }
  private current: ResolvedConfig;
  private stopConfigWatch: (() => void) | undefined;
  private stopSigningWatch: (() => void) | undefined;
  private stopPartnerWatch: (() => void) | undefined;
  private sourceSettings!: RemoteKeySourceSettings;
  /** The outbound settings every fetch wrapper reads live: a reload updates them in place. */
  private readonly outboundSettings: ResolvedConfig['outbound'];
  /** The built-in replay store, when no other was given (a reload can change its bound). */
  private readonly memoryReplayStore: MemoryReplayStore | undefined;
  /** Every realm we accept tokens for: `realm`, `additionalRealms` and the signing certificate's DNS SANs. */
  readonly realms: readonly string[];
  /** The built-in token issuer. */
  readonly issuer: TokenIssuer;
  /** Our signing certificates and their rollover. */
  readonly signingKeys: SigningKeyRing;
  /** The partner applications we trust: add, update, disable, remove and list at run time. */
  readonly partners: PartnerRegistry;
  /** The authorization servers whose tokens we accept and from which we obtain tokens for partners. */
  readonly authorizationServers: AuthorizationServers;
  /** The framework-neutral verifier behind the strategy and the middleware. */
  readonly verifier: TokenVerifier;
  /** Our source of "now" (`options.clock`, default `Date.now`). */
  protected readonly clock: Clock;
  private sharedFetch: PartnerFetch | undefined;
  private fleetSync: FleetSync | undefined;
  /** Settles once every external signer's key is known to match its certificate (rejects with a `ConfigError`). */
  private signingChecked: Promise<void>;
  /** Settles once the replay store has prepared (a Redis store read its epoch marker). */
  private readonly replayStoreStarted: Promise<void>;
  /** Where every event goes: `onEvent`, the instrumentation, the logger. */
  private readonly emit: EventSink | undefined;

  constructor(
    config: S2SConfigInput | ResolvedConfig,
    private readonly options: S2SAuthOptions = {},
  ) {
    this.current = parseConfig(config);
    this.clock = options.clock ?? systemClock;
    const instrumentation = options.instrumentation ?? {};
    const emit = (this.emit = fanOut([
      options.onEvent,
      instrumentation.onEvent,
      options.logger && logEvents(options.logger),
    ]));
    this.signingKeys = loadSigningKeys(this.config.signing, this.clock, this.signingKeyOptions());
    this.signingChecked = checkSigning(this.signingKeys);
    const sans = this.signingKeys.published().flatMap((c) => c.dnsNames);
    this.realms = [...new Set([this.config.realm, ...this.config.additionalRealms, ...sans])];
    this.issuer = new TokenIssuer(
      this.config.serviceName,
      this.config.realm,
      this.signingKeys,
      this.config.tokens.lifetimeSeconds,
      this.clock,
    );
    const { keySources, tokens } = this.config;
    // One settings object shared by every key source and server request: a reload updates it in place.
    const sourceSettings = (this.sourceSettings = {
      ...keySources,
      ...(options.fetch && { fetch: options.fetch }),
      ...(emit && { onEvent: emit }),
      ...(instrumentation.span && { span: instrumentation.span }),
    });
    this.partners = new PartnerRegistry(this.config.partners, sourceSettings, this.clock, options.env);
    this.authorizationServers = new AuthorizationServers(
      this.config.authorizationServers,
      sourceSettings,
      createKeyCache(),
      this.clock,
    );
    this.outboundSettings = { ...this.config.outbound };
    const replayStore =
      options.replayStore ??
      (this.memoryReplayStore = new MemoryReplayStore(this.config.replayCache.maxEntries, this.clock));
    this.replayStoreStarted = startReplayStore(replayStore, emit);
    const partnerRealms = this.config.partners.flatMap((p) => (p.realm ? [p.realm] : []));
    this.verifier = new TokenVerifier({
      serviceName: this.config.serviceName,
      realms: this.realms,
      hostnames: this.config.hostnames,
      clockSkewSeconds: tokens.clockSkewSeconds,
      maxLifetimeSeconds: tokens.maxInboundLifetimeSeconds,
      maxTokenBytes: tokens.maxTokenBytes,
      registry: this.partners,
      servers: this.authorizationServers,
      replayStore,
      replayTimeoutMs: this.config.replayCache.timeoutMs,
      verifiedTokenCacheSize: this.config.verifiedTokenCache.maxEntries,
      clock: this.clock,
      challenge: createChallengeBuilder({
        realm: this.config.realm,
        clientId: this.config.serviceName,
        trustedIssuers: [...new Set([...this.realms, ...partnerRealms])].map((r) => `*@${r}`),
      }),
      ...(emit && { onEvent: emit }),
      ...(instrumentation.timesVerification && { timed: true }),
    });
    if (options.logger) this.logStartup(options.logger);
    if (emit) reportCertificateExpiry(this.partners, this.clock(), emit);
    if (options.fleet) {
      this.fleetSync = new FleetSync(this.partners, options.fleet, emit);
      this.fleetSync.start();
    }
    if (options.watchConfigFile) this.watchConfigFile();
    if (options.watchPartnerCertificates) this.stopPartnerWatch = this.watchPartnerCertificateFiles();
    const { certificate, privateKey } = this.current.signing;
    if (options.watchSigningFiles && typeof certificate === 'string' && typeof privateKey === 'string') {
      const leadTimeSeconds =
        typeof options.watchSigningFiles === 'object'
          ? options.watchSigningFiles.leadTimeSeconds
          : this.current.keySources.ttlSeconds;
      if (!(leadTimeSeconds >= 0))
        throw new TypeError('watchSigningFiles.leadTimeSeconds: expected a number of seconds >= 0');
      this.stopSigningWatch = watchSigningFiles({
        certificate,
        privateKey,
        ring: this.signingKeys,
        leadMs: leadTimeSeconds * 1000,
        clock: this.clock,
        ...(emit && { onEvent: emit }),
      });
    }
  }

  /**
   * Reads the configuration again (`next`, else `options.configFile`) and applies the difference
   * atomically: partners added, changed and removed (cached verifications of changed and removed
   * partners stop counting at once; a fleet's recorded run-time changes are applied again on top),
   * a newly scheduled `signing.next` (published at once, signing from its `effectiveAt`), the
   * `tokens`, `keySources` and `outbound` settings (every fetch wrapper reads them live), the
   * caches' bounds and `replayCache.timeoutMs`, and the authorization servers (a change empties the
   * verified-token cache). An invalid configuration, or one that changes what needs a restart by
   * design (our identity, the current signing pair), is refused as a whole: the running one
   * stays, a `ConfigError` names
   * every field, and a `reload` event says why. Never throws for a valid configuration.
   *
   * @example
   * ```ts
   * process.on('SIGHUP', () => {
   *   try {
   *     s2s.reload();
   *   } catch {
   *     // refused as a whole: the running configuration stays, the `reload` event says why
   *   }
   * });
   * ```
   */
  reload(next?: S2SConfigInput | ResolvedConfig): ReloadResult {
    try {
      if (!next && !this.options.configFile)
        throw new TypeError('reload(): give a configuration, or options.configFile');
      const config = next
        ? parseConfig(next)
        : loadConfig(this.options.configFile!, this.options.env ? { env: this.options.env } : {});
      const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
      const needRestart = Object.keys({ ...config, ...this.current }).filter((key) => {
        if (RELOADABLE.has(key)) return false;
        // A newly scheduled next certificate is applied; a new current signing pair needs a restart.
        if (key === 'signing')
          return differs({ ...config.signing, next: undefined }, { ...this.current.signing, next: undefined });
        return differs(config[key as keyof ResolvedConfig], this.current[key as keyof ResolvedConfig]);
      });
      if (needRestart.length > 0) {
        throw ConfigError.of(
          needRestart.map((path) => ({
            path,
            message:
              'cannot change without a restart (a reload applies everything but our identity and the current signing pair: rotate that with signing.next)',
          })),
        );
      }
      // The next certificate is read and validated with the rest, before anything changes.
      const nextChanged = differs(config.signing.next, this.current.signing.next);
      const nextKey = nextChanged
        ? loadNextSigningKey(config.signing, this.signingKeys.current(), this.clock, this.signingKeyOptions())
        : undefined;
      const result = this.partners.replaceAll(config.partners);
      const { tokens } = config;
      Object.assign(this.sourceSettings, config.keySources);
      Object.assign(this.outboundSettings, config.outbound);
      this.memoryReplayStore?.setMaxEntries(config.replayCache.maxEntries);
      // Cached verdicts of servers' tokens name no partner to re-check: a server change empties the
      // cache. So does a new skew or lifetime cap: a verdict reached under the old window must not outlive it.
      const serversChanged = this.authorizationServers.replaceAll(config.authorizationServers);
      const windowChanged =
        tokens.clockSkewSeconds !== this.current.tokens.clockSkewSeconds ||
        tokens.maxInboundLifetimeSeconds !== this.current.tokens.maxInboundLifetimeSeconds;
      if (
        serversChanged ||
        windowChanged ||
        config.verifiedTokenCache.maxEntries !== this.current.verifiedTokenCache.maxEntries
      )
        this.verifier.resetCache(config.verifiedTokenCache.maxEntries);
      if (serversChanged) this.authorizationServers.prefetch();
      this.issuer.setDefaultLifetime(tokens.lifetimeSeconds);
      this.verifier.reconfigure({
        clockSkewSeconds: tokens.clockSkewSeconds,
        maxLifetimeSeconds: tokens.maxInboundLifetimeSeconds,
        maxTokenBytes: tokens.maxTokenBytes,
        replayTimeoutMs: config.replayCache.timeoutMs,
      });
      if (nextChanged) {
        this.signingKeys.replaceConfiguredNext(nextKey);
        this.signingChecked = checkSigning(this.signingKeys);
      }
      this.current = config;
      // Certificate files added (or dropped) by the reload are watched (or no longer).
      if (this.stopPartnerWatch) {
        this.stopPartnerWatch();
        this.stopPartnerWatch = this.watchPartnerCertificateFiles();
      }
      this.emit?.({ type: 'reload', outcome: 'applied', ...result });
      return result;
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues : [{ path: '', message: (error as Error).message }];
      this.emit?.({ type: 'reload', outcome: 'refused', issues });
      throw error;
    }
  }

  private watchPartnerCertificateFiles(): () => void {
    const files = new Set(this.partners.certificateFiles().map((f) => resolve(f)));
    let timer: NodeJS.Timeout | undefined;
    let retries = 0;
    const check = () => {
      const { reloaded, refused } = this.partners.reloadCertificateFiles();
      for (const partner of reloaded) this.emit?.({ type: 'partner_certificate', outcome: 'reloaded', partner });
      for (const { partner, issues } of refused)
        this.emit?.({ type: 'partner_certificate', outcome: 'refused', partner, issues });
      // A half-written file is read again shortly.
      if (refused.length > 0 && retries++ < 20) {
        timer = setTimeout(check, 500);
        timer.unref();
      }
    };
    const stop = watchFileContents([...files], () => {
      retries = 0;
      clearTimeout(timer);
      check();
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }

  private watchConfigFile(): void {
    const file = this.options.configFile;
    if (!file) throw new TypeError('watchConfigFile: needs options.configFile');
    // By content, whatever the event names: editors and tools rename a new file over the old one,
    // Kubernetes ConfigMap volumes flip a `..data` symlink (the event names `..data`).
    this.stopConfigWatch = watchFileContents([file], () => {
      try {
        this.reload();
      } catch {
        // refused as a whole: the running configuration stays; the `reload` event says why
      }
    });
  }

  /** The start-up line: who we are, our certificate, partners and servers (no secret). */
  private logStartup(logger: Logger): void {
    const active = this.signingKeys.active();
    const next = this.signingKeys.scheduledNext();
    writeLine(
      logger,
      startupLine({
        serviceName: this.config.serviceName,
        realm: this.config.realm,
        signing: { x5t: active.x5t, notAfter: active.notAfter },
        ...(next && { next: { x5t: next.credential.x5t, from: next.from } }),
        partners: this.config.partners.map((p) => ({ name: p.name, trustLevel: p.trustLevel, enabled: p.enabled })),
        authorizationServers: this.config.authorizationServers.map((a) => a.name),
      }),
    );
  }

  /**
   * Resolves when the service is ready to decide: with a fleet store, once the fleet's partner
   * state has been read, and once the replay store has prepared (a Redis store has read its epoch
   * marker; one that cannot does not hold this up, it fails closed per token). With a key outside
   * the process (an HSM, a key vault), once a probe signature has shown the signer's key is the
   * certificate's: a mismatch, or a signer that cannot sign, rejects with a `ConfigError` naming
   * the field. At once without any of these. Await it before `listen()`.
   */
  ready(): Promise<void> {
    return Promise.all([this.fleetSync?.ready, this.replayStoreStarted, this.signingChecked]).then(() => undefined);
  }

  /** How the `signing` section is read: `{ env }` sources, and signers (PKCS#11 tokens, `options.signers`). */
  private signingKeyOptions(): SigningKeyOptions {
    return {
      ...(this.options.env && { env: this.options.env }),
      resolveSigner: (signer, field) => resolveSigner(signer, field, this.options),
    };
  }

  /** Resolves once every partner change made on this instance has reached the fleet store. */
  flushPartnerChanges(): Promise<void> {
    return this.fleetSync?.flush() ?? Promise.resolve();
  }

  /** Stops background work (the fleet's notices). The Redis client stays yours to close. */
  async close(): Promise<void> {
    this.stopConfigWatch?.();
    this.stopSigningWatch?.();
    this.stopPartnerWatch?.();
    await this.fleetSync?.stop();
  }

  /**
   * The partner fetch wrapper: `fetch`'s signature, plus `init.actAs` (a user) and `init.partner`.
   * Without options it returns one shared instance (one token cache for the service).
   */
  fetch(options: { fetch?: typeof fetch } = {}): PartnerFetch {
    if (!options.fetch && this.sharedFetch) return this.sharedFetch;
    const created = createPartnerFetch({
      registry: this.partners,
      issuer: this.issuer,
      settings: this.outboundSettings,
      clock: this.clock,
      servers: this.authorizationServers,
      signingKeys: this.signingKeys,
      defaultClientId: formatPrincipal(this.config.serviceName, this.config.realm),
      serverLimits: this.sourceSettings,
      ...(this.emit && { onEvent: this.emit }),
      ...(this.options.instrumentation?.span && { span: this.options.instrumentation.span }),
      ...((options.fetch ?? this.options.fetch) && { fetch: options.fetch ?? this.options.fetch }),
    });
    if (!options.fetch) this.sharedFetch = created;
    return created;
  }

  /** The `s2s` Passport strategy: `passport.use(s2s.strategy())`. */
  strategy(): PartnerBearerStrategy {
    this.authorizationServers.prefetch();
    return new PartnerBearerStrategy(this.verifier);
  }

  /** The same verification as a plain Express middleware, for apps without Passport. */
  middleware(): RequestHandler {
    this.authorizationServers.prefetch();
    return createVerifyMiddleware(this.verifier);
  }

  /**
   * An Express error handler for refusals: answers a {@link TokenError} (or a Passport user's
   * `req.s2sError`) with its status, headers and a JSON body `{ error, code }`, and passes every
   * other error on, so no stack trace is logged or sent for a 401. Mount it after your routes.
   *
   * @example
   * ```ts
   * app.get('/contacts', s2s.middleware(), list);
   * app.use(s2s.errorHandler());
   * ```
   */
  errorHandler(): ErrorRequestHandler {
    return createErrorHandler();
  }

  /** Guard: the call must be made on behalf of a user. */
  requireUser(): RequestHandler {
    return createGuard(this.verifier, { kind: 'user-context' });
  }

  /** Guard: the call must be app-only (the partner acting as itself). */
  requireAppOnly(): RequestHandler {
    return createGuard(this.verifier, { kind: 'app-only' });
  }

  /** Guard: the partner's trust level must be at least `level` (`User` < `Application` < `Full`). */
  requireTrustLevel(level: TrustLevel): RequestHandler {
    if (!['Full', 'Application', 'User'].includes(level))
      throw new TypeError('level: expected "Full", "Application" or "User"');
    return createGuard(this.verifier, { kind: 'trust-level', level });
  }

  /** Guard: the partner must hold `permission` (from its `permissions` in the configuration). */
  requirePermission(permission: string): RequestHandler {
    if (typeof permission !== 'string' || permission === '')
      throw new TypeError('permission: expected a non-empty string');
    return createGuard(this.verifier, { kind: 'permission', permission });
  }

  /** Our metadata document; `metadataUrl` is where it is served (default: `https://<first hostname>/metadata/json/1`). */
  metadataDocument(metadataUrl = `https://${this.config.hostnames[0]}/metadata/json/1`): MetadataDocument {
    return buildMetadataDocument(
      {
        serviceName: this.config.serviceName,
        realm: this.config.realm,
        additionalRealms: this.realms.slice(1),
        certificates: this.signingKeys.published(),
      },
      metadataUrl,
    );
  }

  /** Our published keys as a JWKS. */
  jwks(): Jwks {
    return buildJwks(this.signingKeys.published());
  }

  /** An Express router serving `GET /metadata/json/1` and `GET /.well-known/jwks.json`. */
  metadataRouter(options?: MetadataRouterOptions): RequestHandler {
    return createMetadataRouter(this, options);
  }
}

/**
 * Builds an {@link S2SAuth} from a configuration (an object, or the result of `loadConfig`).
 * Validates everything and reads the certificate files once, at start-up; throws a
 * `ConfigError` naming the field on any problem.
 */
export function createS2SAuth(config: S2SConfigInput | ResolvedConfig, options?: S2SAuthOptions): S2SAuth {
  return new S2SAuth(config, options);
}

/** Lets a replay store prepare and report its events; never rejects (a store that cannot start fails closed per token). */
function startReplayStore(store: ReplayStore, emit: EventSink | undefined): Promise<void> {
  try {
    return Promise.resolve(store.start?.(emit)).catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}

/** Every published certificate's key is checked (external signers: one probe signature each). */
function checkSigning(ring: SigningKeyRing): Promise<void> {
  const checked = Promise.all(ring.credentials().map((credential) => credential.ready)).then(() => undefined);
  checked.catch(() => undefined); // reported through ready(); never unhandled
  return checked;
}

/**
 * The signer a `signer` entry names: a PKCS#11 token through `s2s-oauth/pkcs11` (loaded only
 * then, with its optional peer), or one of `options.signers`. Errors name the field, never a PIN.
 */
function resolveSigner(
  spec: SignerInput,
  field: string,
  options: S2SAuthOptions,
): { signer: Signer; keyLocation: string } {
  if (spec.kind === 'external') {
    const signer = options.signers?.[spec.name];
    if (!signer || typeof signer.sign !== 'function')
      throw new ConfigError(`${field}.name`, `no signer named "${spec.name}" in createS2SAuth's options.signers`);
    return { signer, keyLocation: `signer "${spec.name}"` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { pkcs11Signer } = require('./pkcs11/pkcs11-signer') as typeof import('./pkcs11/pkcs11-signer');
    const { kind: _kind, timeoutMs: _timeoutMs, ...where } = spec;
    const signer = pkcs11Signer({ ...where, ...(options.env && { env: options.env }) });
    return { signer, keyLocation: signer.description };
  } catch (error) {
    throw new ConfigError(field, (error as Error).message, { cause: error });
  }
}
