import { constants, createHmac, sign, type KeyObject } from 'node:crypto';
import type { AllowedAlgorithm } from '../../src/core/tokens/signature-algorithms';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Builds a token by hand, for tests that need what no honest issuer mints: other algorithms,
 * embedded keys, wrong claims. `key` signs RS256/ES256 (node:crypto), an HMAC secret signs HS256,
 * and `'none'` leaves the signature empty.
 */
export function craftToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string,
  key: KeyObject | { hmac: string | Buffer } | 'none',
): string {
  // A string payload is sent as raw JSON text, for what JSON.stringify cannot write (e.g. 1e999).
  const input = `${b64(header)}.${typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : b64(payload)}`;
  if (key === 'none') return `${input}.`;
  if ('hmac' in key) return `${input}.${createHmac('sha256', key.hmac).update(input).digest('base64url')}`;
  const signature =
    header.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

/** Flips one bit of the signature. */
export function tamper(token: string): string {
  const [h, p, s] = token.split('.');
  const bytes = Buffer.from(s!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

const HASH: Record<AllowedAlgorithm, string> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
};

/** Signs `input` as a JWS signer would: IEEE P1363 for ECDSA, PSS with a digest-length salt (or `saltLength`) for PS*. */
export function jwsSign(
  alg: AllowedAlgorithm,
  key: KeyObject,
  input: string,
  saltLength: number = constants.RSA_PSS_SALTLEN_DIGEST,
): Buffer {
  const data = Buffer.from(input);
  if (alg.startsWith('ES')) return sign(HASH[alg], data, { key, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS')) return sign(HASH[alg], data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  return sign(HASH[alg], data, key);
}

/**
 * A partner's app-only actor token's claims, as Microsoft servers send them: `iss` = `nameid` =
 * `issuer`, valid from `now` (seconds) for 5 minutes, a fresh `jti`; `extra` over them.
 */
export function actorClaims(
  aud: string,
  issuer: string,
  now: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { aud, iss: issuer, nameid: issuer, nbf: now, iat: now, exp: now + 300, jti: `j-${Math.random()}`, ...extra };
}

/** The legacy outer token's claims: alice (by `nameid` and `upn`) around the signed `actorToken`. */
export function legacyOuterClaims(
  aud: string,
  issuer: string,
  now: number,
  actorToken: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    aud,
    iss: issuer,
    nbf: now,
    exp: now + 300,
    nameid: 'S-1-5-21-42',
    nii: 'urn:office:idp:activedirectory',
    upn: 'alice@contoso.com',
    actortoken: actorToken,
    ...extra,
  };
}
