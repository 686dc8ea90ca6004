import NodeCache from 'node-cache';
import type { Clock } from '../clock';
import type { EventSink, KeySourceFailure } from '../events';
import { fetchJsonDocument, KeySourceError, type FetchLimits } from './fetch-document';
import type { KeySet } from './verification-key';
import { inSpan, type SpanRunner } from '../instrumentation';
import { redactUrl } from './redact-url';
import { printable } from '../partner-text';

/**
 * Where a partner's (or authorization server's) verification keys come from. The same three
 * verbs as every remote document ({@link RemoteDocumentSource}): `fresh`, `get`, `refresh`.
 */
export interface KeySource {
  /** A human description for errors and `token explain` (a URL, or "configured certificates"). */
  readonly description: string;
  /** Fresh keys already in memory, without any I/O; `undefined` when they must be (re)fetched. */
  fresh(): KeySet | undefined;
  /** The keys now: cached while fresh, else fetched. Throws `KeySourceUnavailable` when none are usable. */
  get(): Promise<KeySet>;
  /** Asked when a token names a key we lack: refetches unless one was made within the cooldown. */
  refresh(): Promise<KeySet>;
}

/** No usable keys: the source failed and nothing (or nothing recent enough) is cached. */
export class KeySourceUnavailable extends KeySourceError {
  override readonly name = 'KeySourceUnavailable';
  constructor(
    message: string,
    reason: KeySourceFailure,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, reason, options);
  }
}

/** Keys given in the configuration: never fetched, never stale. */
export class StaticKeySource implements KeySource {
  private readonly promise: Promise<KeySet>;
  constructor(
    private readonly keySet: KeySet,
    readonly description = 'configured certificates',
  ) {
    this.promise = Promise.resolve(keySet);
  }
  fresh(): KeySet {
    return this.keySet;
  }
  get(): Promise<KeySet> {
    return this.promise;
  }
  refresh(): Promise<KeySet> {
    return this.promise;
  }
}

/** Timing bounds of remote key sources (all from `keySources` in the configuration). */
export interface RemoteKeySourceSettings extends FetchLimits {
  ttlSeconds: number;
  refreshCooldownSeconds: number;
  staleIfErrorSeconds: number;
  /** Receives `key_source` events (fetched, failed, stale), and the registry's `partner_change` events. */
  onEvent?: EventSink;
  /** Wraps each fetch in a span (an instrumentation's). */
  span?: SpanRunner;
}

/** What a remote document is: how it is read, where from, and whose it is (for events). */
export interface RemoteDocument {
  /** How it is read (`jwks`, `metadata`, `authorization-server`): with the URL, its cache key. */
  kind: string;
  url: string;
  /** The partner or authorization server it belongs to. */
  owner: string;
}

interface CachedDocument<T> {
  value: T;
  fetchedAt: number;
}

/**
 * A document read from a URL (a JWKS, a metadata document, an authorization server's discovery
 * document) and parsed, with:
 * - a TTL cache (node-cache, entries kept for TTL + stale window, `useClones: false`: a cloned
 *   `KeyObject` crashes node:crypto),
 * - one fetch in flight however many requests wait (single flight),
 * - stale-if-error: after the TTL, a failed refresh keeps serving the old value for a bounded window,
 * - a cooldown after any fetch attempt before the next refresh (one forced by an unknown key id,
 *   or one after a failure), so random key ids or a dead source cannot make us hammer it.
 */
export class RemoteDocumentSource<T> {
  private inflight: Promise<T> | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastError: KeySourceError | undefined;
  /** Cache entries are keyed by kind AND URL: one URL may serve as two kinds of document (a metadata document that is also a JWKS), parsed differently. */
  private readonly cacheKey: string;
  private readonly url: string;
  /** The URL as it may be shown: user-info and query values redacted. */
  private readonly shownUrl: string;

  constructor(
    private readonly document: RemoteDocument,
    private readonly parse: (document: unknown) => T,
    private readonly settings: RemoteKeySourceSettings,
    private readonly cache: NodeCache,
    private readonly clock: Clock,
  ) {
    this.url = document.url;
    this.shownUrl = redactUrl(document.url);
    this.cacheKey = `${document.kind} ${document.url}`;
  }

  /** The URL (redacted), for errors and `token explain`. */
  get description(): string {
    return this.shownUrl;
  }

  /** The cached value without any I/O, if fetched within `maxAgeMs`. */
  private cached(now: number, maxAgeMs: number): T | undefined {
    const entry = this.cache.get<CachedDocument<T>>(this.cacheKey);
    return entry && now - entry.fetchedAt < maxAgeMs ? entry.value : undefined;
  }

  /** The fresh cached value, without any I/O; `undefined` when it must be (re)fetched. */
  fresh(): T | undefined {
    return this.cached(this.clock(), this.settings.ttlSeconds * 1000);
  }

  /** The value: cached while fresh, else fetched. Throws `KeySourceUnavailable` when nothing usable is known. */
  get(): Promise<T> {
    const fresh = this.fresh();
    return fresh !== undefined ? Promise.resolve(fresh) : this.load();
  }

  /**
   * Refetches now unless a fetch was attempted within the cooldown (then: the cached value). Asked
   * when a token names a key the cached value lacks, so a failed refetch rejects with
   * `KeySourceUnavailable` rather than answering with the stale value, which cannot settle whether
   * the partner published that key since.
   */
  refresh(): Promise<T> {
    return this.load(false);
  }

  /** The fetched value (one fetch in flight, the cooldown between attempts); on failure, the stale value when `staleOnError`. */
  private load(staleOnError = true): Promise<T> {
    const usableMs = (this.settings.ttlSeconds + this.settings.staleIfErrorSeconds) * 1000;
    const now = this.clock();
    if (!this.inflight && now - this.lastAttemptAt < this.settings.refreshCooldownSeconds * 1000) {
      const usable = this.cached(now, usableMs);
      if (usable !== undefined && (staleOnError || this.lastError === undefined)) return Promise.resolve(usable);
      return Promise.reject(this.unavailable(now));
    }
    this.inflight ??= this.fetchNow(now, usableMs);
    return this.inflight.catch(() => {
      const stale = staleOnError ? this.cached(this.clock(), usableMs) : undefined;
      if (stale !== undefined) return stale;
      throw this.unavailable(this.clock());
    });
  }

  /** One fetch: cached and reported when it succeeds; remembered (`lastError`) and reported when it fails. */
  private fetchNow(now: number, usableMs: number): Promise<T> {
    this.lastAttemptAt = now;
    const attributes = {
      's2s_oauth.owner': this.document.owner,
      's2s_oauth.document.kind': this.document.kind,
      'url.full': this.shownUrl,
    };
    return inSpan(this.settings.span, 's2s_oauth.key_source.fetch', attributes, () =>
      fetchJsonDocument(this.url, this.settings),
    )
      .then((document) => {
        const value = this.parse(document);
        this.cache.set<CachedDocument<T>>(
          this.cacheKey,
          { value, fetchedAt: this.clock() },
          this.settings.ttlSeconds + this.settings.staleIfErrorSeconds,
        );
        this.lastError = undefined;
        this.report('fetched');
        return value;
      })
      .catch((error: Error) => {
        // A document that parses as JSON but not as its kind is a bad document, not an outage of the network.
        this.lastError =
          error instanceof KeySourceError
            ? error
            : new KeySourceError(`${this.shownUrl}: ${printable(error.message)}`, 'bad_document', { cause: error });
        this.report(this.cached(this.clock(), usableMs) !== undefined ? 'stale' : 'failed', this.lastError.reason);
        throw this.lastError;
      })
      .finally(() => {
        this.inflight = undefined;
      });
  }

  private report(outcome: 'fetched' | 'failed' | 'stale', reason?: KeySourceFailure): void {
    this.settings.onEvent?.({
      type: 'key_source',
      outcome,
      owner: this.document.owner,
      url: this.shownUrl,
      ...(reason && { reason }),
    });
  }

  private unavailable(now: number): KeySourceUnavailable {
    const retryAfter = Math.max(
      1,
      Math.ceil((this.lastAttemptAt + this.settings.refreshCooldownSeconds * 1000 - now) / 1000),
    );
    const error = this.lastError instanceof KeySourceError ? this.lastError : undefined;
    return new KeySourceUnavailable(
      `${this.shownUrl} is unavailable: ${error?.message ?? 'nothing fetched yet'}`,
      error?.reason ?? 'network',
      retryAfter,
      { cause: this.lastError },
    );
  }
}

/** Keys read from a URL (a JWKS or a metadata document): a {@link RemoteDocumentSource} of key sets, a {@link KeySource} as it is. */
export class RemoteKeySource extends RemoteDocumentSource<KeySet> implements KeySource {}

/** A node-cache for key sets; `useClones: false` is required for `KeyObject`s. */
export function createKeyCache(): NodeCache {
  return new NodeCache({ useClones: false, checkperiod: 600 });
}
