import type { SigningCredential } from '../certificates/oauth-certificate';
import { loadJose } from '../lazy-modules';

/*
 * Our tokens are JWS compact serializations (RFC 7515 section 7.1). A key in the process signs
 * through jose, as it always did; a key outside it (an HSM, a key vault) signs through its
 * signer, and since jose cannot sign with a key it does not hold, the serialization is ours there
 * (the signature is the signer's, checked against the certificate). Callers never know which.
 */

/** `base64url(JSON)` of a JWS part. */
function part(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Signs `claims` under `header` (which gets the credential's `alg`, `kid` and `x5t`) with
 * `credential`. Rejects with a `SigningError` when an external signer is late, fails or returns a
 * signature the certificate's key did not make.
 */
export async function signJws(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  credential: SigningCredential,
): Promise<string> {
  const protectedHeader = { alg: credential.alg, ...header, x5t: credential.x5t, kid: credential.kid };
  if (credential.inProcessKey)
    return new (loadJose().SignJWT)(claims).setProtectedHeader(protectedHeader).sign(credential.inProcessKey);
  const signingInput = `${part(protectedHeader)}.${part(claims)}`;
  const signature = await credential.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${signature.toString('base64url')}`;
}
