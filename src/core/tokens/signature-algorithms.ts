import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { signingInputBytes } from './transient-bytes';

/*
 * The allow-list of JWS algorithms (RFC 7518 section 3): asymmetric only. `none`, every HS*
 * and anything unknown are refused before a key is even looked up, so a public key can never be
 * used as an HMAC secret. Verification is node:crypto's with a KeyObject: the fast path
 * (shared/PERFORMANCE.md), about 4x jose's WebCrypto route for one-at-a-time verifies.
 */
const ALGORITHMS = {
  RS256: { keyType: 'rsa', hash: 'sha256', pss: false },
  RS384: { keyType: 'rsa', hash: 'sha384', pss: false },
  RS512: { keyType: 'rsa', hash: 'sha512', pss: false },
  PS256: { keyType: 'rsa', hash: 'sha256', pss: true },
  PS384: { keyType: 'rsa', hash: 'sha384', pss: true },
  PS512: { keyType: 'rsa', hash: 'sha512', pss: true },
  ES256: { keyType: 'ec', hash: 'sha256', curve: 'prime256v1' },
  ES384: { keyType: 'ec', hash: 'sha384', curve: 'secp384r1' },
} as const;

/** A JWS algorithm we accept. */
export type AllowedAlgorithm = keyof typeof ALGORITHMS;

export function isAllowedAlgorithm(alg: unknown): alg is AllowedAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

/** Whether `key` can verify `alg` (RSA for RS/PS, the matching curve for ES). */
export function keyFitsAlgorithm(key: KeyObject, alg: AllowedAlgorithm): boolean {
  const spec = ALGORITHMS[alg];
  if (key.asymmetricKeyType !== spec.keyType) return false;
  if ('curve' in spec) return key.asymmetricKeyDetails?.namedCurve === spec.curve;
  return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
}

/** Whether `key` can verify any allowed algorithm (what `s2s-oauth check` calls a usable key). */
export function isUsableKey(key: KeyObject): boolean {
  return (Object.keys(ALGORITHMS) as AllowedAlgorithm[]).some((alg) => keyFitsAlgorithm(key, alg));
}

/** Verifies a JWS signature over `signingInput`. */
export function verifySignature(
  alg: AllowedAlgorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const spec = ALGORITHMS[alg];
  const data = signingInputBytes(signingInput);
  if ('curve' in spec) return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (spec.pss)
    return cryptoVerify(
      spec.hash,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      signature,
    );
  return cryptoVerify(spec.hash, data, key, signature);
}
