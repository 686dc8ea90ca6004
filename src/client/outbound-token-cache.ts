import type { Clock } from '../core/clock';
import type { MintedToken } from '../core/tokens/token-issuer';

/** Timing of {@link OutboundTokenCache}, read on every use (a configuration reload updates it in place). */
export interface OutboundTokenCacheSettings {
  /** Start refreshing this long before expiry. */
  refreshBeforeExpirySeconds: number;
  /** Up to this much earlier again, at random per token, so many tokens do not refresh together. */
  refreshJitterSeconds: number;
  /** Bound of the cache. */
  maxCachedTokens: number;
  /** Random source in [0, 1) for the jitter (injected in tests). */
  random?: () => number;
}

interface Entry {
  token?: MintedToken;
  /** `Bearer <token>`, built once: a new 1 KB string per call costs undici a flatten, a copy and GC. */
  authorization?: string;
  refreshAt: number;
  pending?: Promise<MintedToken>;
}

/**
 * Tokens we minted (or obtained) for partners, keyed by (partner, audience, user):
 * - one mint for any number of concurrent callers of the same key (single flight);
 * - from `refreshAt` (before expiry, with jitter) callers still get the valid token while ONE
 *   background mint replaces it;
 * - a token closer than {@link SAFETY_MARGIN_MS} to expiry is never handed out: callers wait for
 *   the new one, so an expired token is never sent;
 * - bounded: the oldest key goes first when full.
 */
export class OutboundTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly random: () => number;

  constructor(
    private readonly settings: OutboundTokenCacheSettings,
    private readonly clock: Clock,
  ) {
    this.random = settings.random ?? Math.random;
  }

  /** Returns a valid token for `key`, minting with `mint` when needed (`refresh`: it replaces one that was cached). */
  get(key: string, mint: (refresh: boolean) => Promise<MintedToken>): MintedToken | Promise<MintedToken> {
    const now = this.clock();
    const entry = this.entries.get(key);
    const token = entry?.token;
    if (entry && token && now < token.expiresAt - SAFETY_MARGIN_MS) {
      if (now >= entry.refreshAt && !entry.pending) this.start(key, entry, mint).catch(() => undefined);
      return token;
    }
    if (entry?.pending) return entry.pending;
    return this.start(key, entry ?? this.create(key), mint);
  }

  /**
   * The `Authorization` value (`Bearer <token>`) of `key` when its token can be used as it is (not
   * yet due for refresh), without creating anything: the hot path of a repeated call.
   * `undefined` sends the caller to {@link get}.
   */
  peek(key: string): string | undefined {
    const entry = this.entries.get(key);
    return entry?.token && this.clock() < entry.refreshAt ? entry.authorization : undefined;
  }

  /** Forgets the token of `key` (it was refused), unless a newer one is already being minted. */
  invalidate(key: string, token: string): void {
    const entry = this.entries.get(key);
    if (entry?.token?.token === token) entry.token = entry.authorization = undefined;
  }

  private create(key: string): Entry {
    if (this.entries.size >= this.settings.maxCachedTokens) this.entries.delete(this.entries.keys().next().value!);
    const entry: Entry = { refreshAt: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  private start(key: string, entry: Entry, mint: (refresh: boolean) => Promise<MintedToken>): Promise<MintedToken> {
    const pending = mint(entry.token !== undefined).then(
      (token) => {
        const lead =
          (this.settings.refreshBeforeExpirySeconds + this.random() * this.settings.refreshJitterSeconds) * 1000;
        entry.token = token;
        entry.authorization = `Bearer ${token.token}`;
        entry.refreshAt = token.expiresAt - lead;
        entry.pending = undefined;
        if (!this.entries.has(key)) this.entries.set(key, entry);
        return token;
      },
      (error: unknown) => {
        entry.pending = undefined;
        throw error;
      },
    );
    entry.pending = pending;
    return pending;
  }
}

/** A token this close to expiry is not sent: it could expire in flight or on a skewed clock. */
export const SAFETY_MARGIN_MS = 5000;
