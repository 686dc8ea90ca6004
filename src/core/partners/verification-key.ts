import { createPublicKey, type KeyObject } from 'node:crypto';
import { parseCertificate, thumbprint, type OAuthCertificate } from '../certificates/oauth-certificate';

/** A public key a partner signs with, and the identifiers a token header may name it by. */
export interface VerificationKey {
  /** The public key. */
  key: KeyObject;
  /** Its key id, when the source names one. */
  kid?: string;
  /** base64url SHA-1 of its certificate, when known. */
  x5t?: string;
  /** base64url SHA-256 of its certificate, when known. */
  x5tS256?: string;
  /** Expiry of the certificate the key came from (ms); an expired certificate's key is not used. */
  notAfter?: number;
  /** Start of the certificate's validity (ms); a key is not used before it. */
  notBefore?: number;
}

/** The keys of one partner (or authorization server) plus what its document says about it. */
export interface KeySet {
  /** The usable signature keys. */
  keys: VerificationKey[];
  /** The principal id a metadata document names (`serviceName`). */
  applicationId?: string;
  /** The realm a metadata document names (`realm`, or the part of `issuer` after `@`). */
  realm?: string;
}

export function keyFromCertificate(certificate: OAuthCertificate): VerificationKey {
  return {
    key: certificate.publicKey,
    kid: certificate.kid,
    x5t: certificate.x5t,
    x5tS256: certificate.x5tS256,
    notAfter: certificate.notAfter.getTime(),
    notBefore: certificate.notBefore.getTime(),
  };
}

/** The keys a token header names, among one issuer's. */
export interface SelectedKeys {
  /** Keys in their certificate's validity window: the only ones tried. */
  usable: readonly VerificationKey[];
  /** The header named keys (or the issuer has keys) but every one is outside its certificate's validity. */
  outOfDate: boolean;
}

/**
 * Finds the key a token header names: by `kid`, else `x5t`, else `x5t#S256` (Microsoft's tokens
 * carry only `x5t`). Returns `undefined` when the header names a key the set lacks, and every
 * key when the header names none (a partner has few keys; never another partner's). Keys of an
 * expired or not yet valid certificate (give or take `skewMs`) are never used, and said so
 * (`outOfDate`), so that the refusal names the certificate, not a missing key.
 */
export function selectKeys(
  keys: readonly VerificationKey[],
  header: Record<string, unknown>,
  now: number,
  skewMs = 0,
): SelectedKeys | undefined {
  const named =
    keysNamed(keys, 'kid', header.kid) ??
    keysNamed(keys, 'x5t', header.x5t) ??
    keysNamed(keys, 'x5tS256', header['x5t#S256']) ??
    keys;
  if (named !== keys && named.length === 0) return undefined;
  // The clock skew tokens get applies to certificates too: a certificate made a moment ago on a
  // machine whose clock runs ahead is not "not yet valid" here.
  // A loop, not `every` with a closure: the closure is allocated on every uncached verification,
  // and nearly always every key is in its window, so the list itself is the answer.
  let usable = named;
  for (const k of named) {
    if (!withinValidity(k, now, skewMs)) {
      usable = named.filter((key) => withinValidity(key, now, skewMs));
      break;
    }
  }
  return { usable, outOfDate: usable.length === 0 && named.length > 0 };
}

function withinValidity(key: VerificationKey, now: number, skewMs: number): boolean {
  return (
    (key.notAfter === undefined || key.notAfter > now - skewMs) &&
    (key.notBefore === undefined || key.notBefore <= now + skewMs)
  );
}

/** The keys whose `field` is `value`; `undefined` when the header does not name a key that way. */
function keysNamed(
  keys: readonly VerificationKey[],
  field: 'kid' | 'x5t' | 'x5tS256',
  value: unknown,
): readonly VerificationKey[] | undefined {
  if (typeof value !== 'string') return undefined;
  // Counted, then filled: `filter` and `push` start with room for 16 keys, on every uncached
  // verification, for what is nearly always one.
  let count = 0;
  for (const k of keys) if (k[field] === value) count++;
  const found = new Array<VerificationKey>(count);
  count = 0;
  for (const k of keys) if (k[field] === value) found[count++] = k;
  return found;
}

/** Reads a JWKS (RFC 7517 section 5): signature keys of type RSA or EC; others are skipped. */
export function parseJwks(document: unknown): KeySet {
  const keys = (document as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new Error('not a JWKS: no "keys" array');
  const out: VerificationKey[] = [];
  for (const jwk of keys as Array<Record<string, unknown>>) {
    if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
    let key: KeyObject;
    try {
      // Only the public members: a JWKS that leaks `d` must not make us hold a private key.
      const { kty, n, e, crv, x, y } = jwk as Record<string, string>;
      key = createPublicKey({ key: kty === 'RSA' ? { kty, n, e } : { kty, crv, x, y }, format: 'jwk' });
    } catch {
      continue;
    }
    const x5c =
      Array.isArray(jwk.x5c) && typeof jwk.x5c[0] === 'string' ? Buffer.from(jwk.x5c[0], 'base64') : undefined;
    out.push({
      key,
      ...(typeof jwk.kid === 'string' && { kid: jwk.kid }),
      ...((typeof jwk.x5t === 'string' || x5c) && {
        x5t: typeof jwk.x5t === 'string' ? jwk.x5t : thumbprint(x5c!, 'sha1'),
      }),
      ...((typeof jwk['x5t#S256'] === 'string' || x5c) && {
        x5tS256: typeof jwk['x5t#S256'] === 'string' ? (jwk['x5t#S256'] as string) : thumbprint(x5c!, 'sha256'),
      }),
    });
  }
  return { keys: out };
}

/** Member lookup ignoring case: SharePoint writes `keyValue`, Exchange `keyvalue` (shared/PROTOCOL.md). */
export function memberIgnoringCase(object: unknown, name: string): unknown {
  if (typeof object !== 'object' || object === null) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(object)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A principal id or realm as Microsoft's documents carry them: a GUID, a domain name, a tenant id. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:{}-]{0,254}$/;

/**
 * Reads a Microsoft auth-metadata document (`/metadata/json/1`): member names and the `usage` /
 * `type` values match case-insensitively; `x5t` is always computed from the certificate itself
 * (never taken from `keyinfo`, which may be absent or nested elsewhere).
 */
export function parseMetadataDocument(document: unknown): KeySet {
  const keys = memberIgnoringCase(document, 'keys');
  if (!Array.isArray(keys)) throw new Error('not an auth-metadata document: no "keys" array');
  const out: VerificationKey[] = [];
  for (const entry of keys) {
    const usage = memberIgnoringCase(entry, 'usage');
    if (typeof usage === 'string' && usage.toLowerCase() !== 'signing') continue;
    const value = memberIgnoringCase(entry, 'keyvalue');
    const type = memberIgnoringCase(value, 'type');
    const der = memberIgnoringCase(value, 'value');
    if (typeof type !== 'string' || type.toLowerCase() !== 'x509certificate' || typeof der !== 'string') continue;
    try {
      const pem = `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----`;
      out.push(keyFromCertificate(parseCertificate(pem, 'metadata key')));
    } catch {
      continue; // a weak or unreadable key is not a key we trust
    }
  }
  const serviceName = memberIgnoringCase(document, 'serviceName');
  const issuer = memberIgnoringCase(document, 'issuer');
  const realm =
    memberIgnoringCase(document, 'realm') ??
    (typeof issuer === 'string' && issuer.includes('@') ? issuer.slice(issuer.lastIndexOf('@') + 1) : undefined);
  // What a partner says about itself reaches audiences, events and `check` output: identifiers only.
  for (const [field, value] of [
    ['serviceName', serviceName],
    ['realm', realm],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !IDENTIFIER.test(value)))
      throw new Error(`the metadata document's ${field} is not an identifier (letters, digits, ".", "-", "_", ":")`);
  }
  return {
    keys: out,
    ...(typeof serviceName === 'string' && { applicationId: serviceName }),
    ...(typeof realm === 'string' && { realm }),
  };
}
