import NodeCache from 'node-cache';
import type { Clock } from '../clock';
import { fetchJsonDocument, KeySourceError, type FetchLimits } from './fetch-document';
import type { KeySet } from './verification-key';

/** Where a partner's (or authorization server's) verification keys come from. */
export interface KeySource {
  /** A human description for errors and `token explain` (a URL, or "configured certificates"). */
  readonly description: string;
  /** The keys now: cached while fresh, else fetched. Throws {@link KeySourceUnavailable} when none are usable. */
  getKeys(): Promise<KeySet>;
  /** Fresh keys already in memory, without any I/O; `undefined` when they must be (re)fetched. */
  cachedKeys(): KeySet | undefined;
  /** Asked when a token names a key we lack: refetches unless one was made within the cooldown. */
  refreshForUnknownKey(): Promise<KeySet>;
}

/** No usable keys: the source failed and nothing (or nothing recent enough) is cached. */
export class KeySourceUnavailable extends KeySourceError {
  override readonly name = 'KeySourceUnavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
  cachedKeys(): KeySet {
    return this.keySet;
  }
  getKeys(): Promise<KeySet> {
    return this.promise;
  }
  refreshForUnknownKey(): Promise<KeySet> {
    return this.promise;
  }
}

/** Timing bounds of remote key sources (all from `keySources` in the configuration). */
export interface RemoteKeySourceSettings extends FetchLimits {
  ttlSeconds: number;
  refreshCooldownSeconds: number;
  staleIfErrorSeconds: number;
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
  private lastError: Error | undefined;
  /** Cache entries are keyed by kind AND URL: one URL may serve as two kinds of document (a metadata document that is also a JWKS), parsed differently. */
  private readonly cacheKey: string;

  /** `kind` names how the document is read (`jwks`, `metadata`, `authorization-server`). */
  constructor(
    kind: string,
    private readonly url: string,
    private readonly parse: (document: unknown) => T,
    private readonly settings: RemoteKeySourceSettings,
    private readonly cache: NodeCache,
    private readonly clock: Clock,
  ) {
    this.cacheKey = `${kind} ${url}`;
  }

  get description(): string {
    return this.url;
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

  /** The value: cached while fresh, else fetched. Throws {@link KeySourceUnavailable} when nothing usable is known. */
  get(): Promise<T> {
    const fresh = this.fresh();
    return fresh !== undefined ? Promise.resolve(fresh) : this.load();
  }

  /** Refetches now unless a fetch was attempted within the cooldown. */
  refresh(): Promise<T> {
    return this.load();
  }

  private load(): Promise<T> {
    if (this.inflight) return this.inflight;
    const now = this.clock();
    const usableMs = (this.settings.ttlSeconds + this.settings.staleIfErrorSeconds) * 1000;
    if (now - this.lastAttemptAt < this.settings.refreshCooldownSeconds * 1000) {
      const usable = this.cached(now, usableMs);
      return usable !== undefined ? Promise.resolve(usable) : Promise.reject(this.unavailable(now));
    }
    this.lastAttemptAt = now;
    this.inflight = fetchJsonDocument(this.url, this.settings)
      .then((document) => {
        const value = this.parse(document);
        this.cache.set<CachedDocument<T>>(this.cacheKey, { value, fetchedAt: this.clock() }, this.settings.ttlSeconds + this.settings.staleIfErrorSeconds);
        this.lastError = undefined;
        return value;
      })
      .catch((error: Error) => {
        this.lastError = error;
        const stale = this.cached(this.clock(), usableMs);
        if (stale !== undefined) return stale;
        throw this.unavailable(this.clock());
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private unavailable(now: number): KeySourceUnavailable {
    const retryAfter = Math.max(1, Math.ceil((this.lastAttemptAt + this.settings.refreshCooldownSeconds * 1000 - now) / 1000));
    const reason = this.lastError?.message ?? 'nothing fetched yet';
    return new KeySourceUnavailable(`${this.url} is unavailable: ${reason}`, retryAfter, { cause: this.lastError });
  }
}

/** Keys read from a URL (a JWKS or a metadata document): a {@link RemoteDocumentSource} of key sets. */
export class RemoteKeySource extends RemoteDocumentSource<KeySet> implements KeySource {
  cachedKeys(): KeySet | undefined {
    return this.fresh();
  }
  getKeys(): Promise<KeySet> {
    return this.get();
  }
  refreshForUnknownKey(): Promise<KeySet> {
    return this.refresh();
  }
}

/** A node-cache for key sets; `useClones: false` is required for `KeyObject`s. */
export function createKeyCache(): NodeCache {
  return new NodeCache({ useClones: false, checkperiod: 600 });
}
