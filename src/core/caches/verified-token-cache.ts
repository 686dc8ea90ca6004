import { hash } from 'node:crypto';

/**
 * A bounded cache of verified tokens, keyed by a SHA-256 of the token (never the token itself),
 * each entry expiring with its token. When full, the oldest insertion goes first. Only verified
 * tokens enter, so a spray of bad tokens cannot fill it.
 *
 * Insertion order lives in a ring of keys, not in the `Map`: evicting through
 * `map.keys().next()` walks over V8's tombstones of deleted entries and cost ~4 µs per insert
 * under churn (distinct tokens), against O(1) here. An expired key left in the ring only makes a
 * later eviction delete nothing, or drop a re-added entry early: a miss, never a wrong hit.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();
  private readonly ring: Array<string | undefined>;
  private cursor = 0;

  constructor(private readonly maxEntries: number) {
    this.ring = new Array<string | undefined>(maxEntries);
  }

  /** The cache key of a token. */
  static keyOf(token: string): string {
    // One-shot hash (Node >= 20.12): about 30 % cheaper than createHash() for a 1 KB token.
    return hash('sha256', token, 'base64url');
  }

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAt: number): void {
    if (this.maxEntries === 0) return;
    if (!this.entries.has(key)) {
      const oldest = this.ring[this.cursor];
      if (oldest !== undefined) this.entries.delete(oldest);
      this.ring[this.cursor] = key;
      this.cursor = (this.cursor + 1) % this.maxEntries;
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
