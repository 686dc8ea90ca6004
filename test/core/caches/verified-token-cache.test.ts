import { SightingFilter } from '../../../src/core/caches/sighting-filter';
import { VerifiedTokenCache } from '../../../src/core/caches/verified-token-cache';

/** A token-shaped string whose end (its "signature") is distinct per `i`. */
const tokenNo = (i: number) =>
  `eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.${Buffer.from(`signature-${i}`).toString('base64url')}`;

describe('SightingFilter', () => {
  it('remembers the tokens added and not others', () => {
    const filter = new SightingFilter(4096);
    for (let i = 0; i < 1000; i++) filter.add(tokenNo(i));
    let remembered = 0;
    let falsePositives = 0;
    for (let i = 0; i < 1000; i++) if (filter.has(tokenNo(i))) remembered++;
    for (let i = 1000; i < 11_000; i++) if (filter.has(tokenNo(i))) falsePositives++;
    // 1,000 tokens in 4,096 slots: a few displace each other; a stranger is almost never "seen".
    expect(remembered).toBeGreaterThan(850);
    expect(falsePositives).toBe(0);
  });

  it('holds a fixed number of slots however many tokens pass (the last ones are remembered)', () => {
    const filter = new SightingFilter(1024);
    for (let i = 0; i < 100_000; i++) filter.add(tokenNo(i));
    expect(filter.has(tokenNo(99_999))).toBe(true);
    let oldRemembered = 0;
    for (let i = 0; i < 1000; i++) if (filter.has(tokenNo(i))) oldRemembered++;
    expect(oldRemembered).toBeLessThan(10);
  });

  it('tells apart tokens that share their last characters but not their length', () => {
    const filter = new SightingFilter(1024);
    const tail = 'x'.repeat(40);
    filter.add(`a.b.${tail}`);
    expect(filter.has(`a.b.${tail}`)).toBe(true);
    expect(filter.has(`aa.b.${tail}`)).toBe(false);
  });
});

describe('VerifiedTokenCache admission', () => {
  it('a token is hashed and cached from its second verification only', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const token = tokenNo(1);
    expect(cache.keyFor(token)).toBeUndefined(); // never verified: not even hashed
    cache.remember(token);
    expect(cache.size).toBe(0);
    const key = cache.keyFor(token);
    expect(key).toBe(VerifiedTokenCache.keyOf(token));
    expect(cache.get(key!, 1000)).toBeUndefined();
    cache.set(key!, 'second', 5000);
    expect(cache.size).toBe(1);
    expect(cache.get(cache.keyFor(token)!, 1000)).toBe('second');
  });

  it('a flood of tokens each sent once neither fills the cache nor keeps a reused token out', () => {
    const cache = new VerifiedTokenCache<number>(100);
    const reused = tokenNo(-1);
    /** One request as the verifier makes it: a hit, or a verification whose token is then remembered or cached. Returns whether it verified. */
    const request = (token: string, value: number): boolean => {
      const key = cache.keyFor(token);
      if (key !== undefined && cache.get(key, 1000) !== undefined) return false;
      if (key === undefined) cache.remember(token);
      else cache.set(key, value, 5000);
      return true;
    };
    let reusedVerifications = 0;
    for (let i = 0; i < 50_000; i++) {
      request(tokenNo(i), i);
      if (i % 10 === 0 && request(reused, -1)) reusedVerifications++;
    }
    expect(cache.size).toBeLessThan(5); // the reused token (and, at most, a rare fingerprint collision)
    expect(cache.get(VerifiedTokenCache.keyOf(reused), 1000)).toBe(-1);
    // 5,000 uses: verified again only when a once-sent token displaced its mark (~1 % of uses here);
    // without admission the flood would evict it from 100 entries every 10 uses (500 verifications).
    expect(reusedVerifications).toBeLessThan(150);
  });

  it('a cache of size 0 never asks for a key, so never hashes', () => {
    const cache = new VerifiedTokenCache<string>(0);
    cache.remember('a.b.c');
    expect(cache.keyFor('a.b.c')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
