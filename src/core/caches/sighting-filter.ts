/**
 * Remembers, approximately and in a fixed amount of memory, which tokens were verified once: the
 * admission filter of the verified-token cache (TinyLFU's "doorkeeper"). A token is cached from
 * its second verification, so a stream of tokens each sent once (a caller minting per request, or
 * a load balancer spreading one token over many instances) costs no cache insertion, no eviction
 * and no long-lived garbage, and does not push out the tokens that are sent again and again.
 *
 * One 32-bit fingerprint per slot in a typed array: nothing here is an object the garbage
 * collector has to trace. The fingerprint is read off the end of the token (its signature,
 * random for every signed token), not hashed over all of it, so asking costs nanoseconds. It
 * decides nothing about trust: a wrong answer only makes a verified token cached one sighting
 * early or late, and only verified tokens are ever recorded.
 */
export class SightingFilter {
  private readonly slots: Uint32Array;
  private readonly mask: number;

  /** @param capacity how many tokens to remember at once, at the least (rounded up to a power of two). */
  constructor(capacity: number) {
    let size = 1024;
    while (size < capacity) size *= 2;
    this.slots = new Uint32Array(size);
    this.mask = size - 1;
  }

  /** Whether `token` was recorded (and not since displaced by another token of the same slot). */
  has(token: string): boolean {
    const print = fingerprint(token);
    return this.slots[print & this.mask] === print;
  }

  /** Records `token` as verified once. */
  add(token: string): void {
    const print = fingerprint(token);
    this.slots[print & this.mask] = print;
  }
}

/** How many characters from the end of the token make its fingerprint: 144 bits of a signature. */
const TAIL = 24;

/** FNV-1a over the token's length and its last characters; never 0 (the empty slot). */
function fingerprint(token: string): number {
  let print = Math.imul(0x811c9dc5 ^ token.length, 0x01000193);
  for (let i = Math.max(0, token.length - TAIL); i < token.length; i++)
    print = Math.imul(print ^ token.charCodeAt(i), 0x01000193);
  return print >>> 0 || 1;
}
