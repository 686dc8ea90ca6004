import { MAX_TOKEN_BYTES_LIMIT } from '../config/config-limits';

/*
 * Bytes that live for one synchronous call only: a token part on its way to text, the signing
 * input on its way into node:crypto. `Buffer.from` would carve each out of Node's shared
 * allocation pool (a new 8 KB pool every few tokens, and a Buffer object per part): garbage the
 * collector sweeps on every uncached verification. One buffer per purpose instead, sized for the
 * largest token the configuration accepts; no view of it outlives the call that made it.
 */

/** No part of a token the configuration lets us parse is longer (longer input is still served, from the pool). */
const CAPACITY = MAX_TOKEN_BYTES_LIMIT;
const textBytes = Buffer.allocUnsafe(CAPACITY);
const signedBytes = Buffer.allocUnsafe(CAPACITY);

/** The UTF-8 text a base64url part encodes (Node's decoder: characters outside the alphabet are skipped, so check them first). */
export function base64urlText(part: string): string {
  if (part.length > CAPACITY) return Buffer.from(part, 'base64url').toString('utf8');
  return textBytes.toString('utf8', 0, textBytes.write(part, 0, 'base64url'));
}

/** The UTF-8 bytes of a signing input, valid until the next call: for node:crypto to read at once. */
export function signingInputBytes(signingInput: string): Buffer {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; a base64url signing input takes exactly 1.
  if (signingInput.length * 3 > CAPACITY) return Buffer.from(signingInput);
  return signedBytes.subarray(0, signedBytes.write(signingInput, 0, 'utf8'));
}
