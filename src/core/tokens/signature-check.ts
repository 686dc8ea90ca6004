import { TokenError } from '../errors/token-error';
import type { MaybePromise } from '../maybe-async';
import type { KeySource } from '../partners/key-source';
import { selectKeys, type KeySet, type VerificationKey } from '../partners/verification-key';
import type { CompactJws } from './compact-jws';
import { keyFitsAlgorithm, verifySignature, type AllowedAlgorithm } from './signature-algorithms';
import type { VerificationContext } from './verification-context';

/** Tries the keys a header names (among one source's): the key that verifies, `undefined` when the header names none it has. */
function verifyWith(
  keySet: KeySet | undefined,
  jws: CompactJws,
  alg: AllowedAlgorithm,
  context: VerificationContext,
): VerificationKey | undefined {
  const selected = keySet && selectKeys(keySet.keys, jws.header, context.now, context.skewSeconds * 1000);
  if (!selected) return undefined;
  if (selected.outOfDate)
    throw new TokenError(
      'partner_certificate_expired',
      'the certificate of the key that signed this token has expired or is not valid yet',
    );
  for (const candidate of selected.usable) {
    if (keyFitsAlgorithm(candidate.key, alg) && verifySignature(alg, candidate.key, jws.signingInput, jws.signature))
      return candidate;
  }
  throw new TokenError('signature_invalid', "the signature does not verify with the issuer's keys");
}

/**
 * Checks the signature with the keys of ONE source, the issuer's (never a key from the token's
 * own header): synchronously from cached keys, else after fetching them; a key id the source does
 * not publish triggers one cooldown-limited refresh. Returns the key that verified.
 */
export function checkSignature(
  jws: CompactJws,
  alg: AllowedAlgorithm,
  source: KeySource | undefined,
  context: VerificationContext,
): MaybePromise<VerificationKey> {
  if (!source) throw new TokenError('key_not_found', 'no key source is configured for this partner');
  const cached = source.fresh();
  return (cached && verifyWith(cached, jws, alg, context)) || checkWithFetchedKeys(jws, alg, source, cached, context);
}

/** {@link checkSignature} when the cached keys (if any) do not name the token's key: fetch them, or refresh them once. */
async function checkWithFetchedKeys(
  jws: CompactJws,
  alg: AllowedAlgorithm,
  source: KeySource,
  cached: KeySet | undefined,
  context: VerificationContext,
): Promise<VerificationKey> {
  const fetched = cached ? undefined : verifyWith(await source.get(), jws, alg, context);
  if (fetched) return fetched;
  // An unknown key id may mean the partner rotated: refresh, within the cooldown. A source that
  // cannot answer now leaves the question open: that is an outage (503 key_source_unavailable,
  // its KeySourceUnavailable passed on), not proof that the token is bad.
  const found = verifyWith(await source.refresh(), jws, alg, context);
  if (!found) throw new TokenError('key_not_found', 'the token names a key its issuer does not publish');
  return found;
}

/** How `token explain` names a key. */
export function describeKey(key: VerificationKey): string {
  return key.kid ? `kid ${key.kid}` : key.x5t ? `x5t ${key.x5t}` : 'an unnamed key';
}
