import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors/config-error';
import { externalSigning, inProcessSigning, type Signer, type SigningMethod } from './signer';

/** The JWS algorithms our certificates sign with: RSA 2048+ signs RS256, EC P-256 signs ES256. */
export type SigningAlgorithm = 'RS256' | 'ES256';

/** A public OAuth certificate with everything a verifier or a metadata document needs. */
export interface OAuthCertificate {
  /** The PEM text of the certificate. */
  readonly pem: string;
  /** DER bytes of the certificate (what `x5c` and the metadata `keyvalue` carry, base64). */
  readonly der: Buffer;
  /** base64url SHA-1 of the DER certificate: Microsoft's key identifier. */
  readonly x5t: string;
  /** base64url SHA-256 of the DER certificate. */
  readonly x5tS256: string;
  /** Our key id: equal to `x5t#S256`, so it is stable across restarts and machines. */
  readonly kid: string;
  /** The JWS algorithm it signs with. */
  readonly alg: SigningAlgorithm;
  /** Its public key. */
  readonly publicKey: KeyObject;
  /** Start of its validity. */
  readonly notBefore: Date;
  /** End of its validity. */
  readonly notAfter: Date;
  /** DNS names in the Subject Alternative Name extension (additional realms of the issuer). */
  readonly dnsNames: readonly string[];
}

/**
 * An OAuth certificate and the way its key signs: what the built-in token issuer signs with. The
 * key is a `KeyObject` in the process (never exported as text by the library) or lives outside it
 * (an HSM, a key vault) behind a {@link Signer}; nothing else needs to know which.
 */
export interface SigningCredential extends OAuthCertificate, SigningMethod {}

/** base64url of a digest of `data`. */
export function thumbprint(data: Buffer, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(data).digest('base64url');
}

/** The JWS algorithm a public key signs with, or a reason it is refused. */
function algorithmFor(key: KeyObject): SigningAlgorithm | string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    return bits >= 2048 ? 'RS256' : `RSA key of ${bits} bits is too weak (at least 2048 required)`;
  }
  if (key.asymmetricKeyType === 'ec') {
    return details.namedCurve === 'prime256v1'
      ? 'ES256'
      : `EC curve ${details.namedCurve} is not supported (P-256 required)`;
  }
  return `${key.asymmetricKeyType} keys are not supported (RSA >= 2048 bits or EC P-256 required)`;
}

/**
 * Parses one PEM certificate and checks its key strength.
 *
 * @param field the configuration field the certificate came from, named in every error.
 * @param options.now when given, an expired (or not yet valid) certificate is refused.
 */
export function parseCertificate(pem: string, field: string, options: { now?: number } = {}): OAuthCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new ConfigError(field, 'not a PEM or DER X.509 certificate', { cause: e });
  }
  const alg = algorithmFor(cert.publicKey);
  if (alg !== 'RS256' && alg !== 'ES256') throw new ConfigError(field, alg);
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (options.now !== undefined && notAfter.getTime() <= options.now) {
    throw new ConfigError(field, `certificate expired on ${notAfter.toISOString()}`);
  }
  const der = cert.raw;
  const x5tS256 = thumbprint(der, 'sha256');
  const dnsNames = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return {
    pem: cert.toString(),
    der,
    x5t: thumbprint(der, 'sha1'),
    x5tS256,
    kid: x5tS256,
    alg,
    publicKey: cert.publicKey,
    notBefore,
    notAfter,
    dnsNames,
  };
}

/**
 * Parses every certificate in a PEM bundle (a partner may publish several).
 */
export function parseCertificateBundle(pemText: string, field: string): OAuthCertificate[] {
  const blocks = pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw new ConfigError(field, 'no PEM certificate found');
  return blocks.map((block, i) =>
    parseCertificate(block, blocks.length > 1 ? `${field} (certificate ${i + 1})` : field),
  );
}

/**
 * Pairs a certificate with its private key, refusing weak keys, a key that does not belong to the
 * certificate, and an expired certificate. The key text is never part of an error.
 */
export function parseSigningCredential(
  certificatePem: string,
  privateKeyPem: string,
  fields: { certificate: string; privateKey: string },
  now: number,
): SigningCredential {
  const certificate = parseCertificate(certificatePem, fields.certificate, { now });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new ConfigError(fields.privateKey, 'not a readable unencrypted PEM private key', { cause: e });
  }
  if (!new X509Certificate(certificate.pem).checkPrivateKey(privateKey)) {
    throw new ConfigError(fields.privateKey, `private key does not match the certificate ${fields.certificate}`);
  }
  return { ...certificate, ...inProcessSigning(privateKey, certificate.alg) };
}

/**
 * Pairs a certificate with an external {@link Signer} (its key in an HSM or a key vault). The
 * certificate is checked as at start-up (strength, validity); that the signer's key is the
 * certificate's is checked by a probe signature, which `ready` reports (a `ConfigError` naming
 * `fields.signer`), and every signature is verified before use.
 */
export function externalSigningCredential(
  certificatePem: string,
  signer: Signer,
  fields: { certificate: string; signer: string },
  now: number,
  options: { timeoutMs: number; keyLocation: string },
): SigningCredential {
  const certificate = parseCertificate(certificatePem, fields.certificate, { now });
  return { ...certificate, ...externalSigning(certificate, signer, { field: fields.signer, ...options }) };
}

/**
 * A public JWK (RFC 7517) as we publish it: the key's members (`kty`, `n`, `e` or `crv`, `x`,
 * `y`) and the certificate's `kid`, `x5t`, `x5t#S256` and `x5c`. Our own type: `JsonWebKey` left
 * `node:crypto`'s declarations in newer `@types/node`.
 */
export interface PublicJwk {
  /** Key type: `RSA` or `EC`. */
  kty?: string;
  /** RSA modulus. */
  n?: string;
  /** RSA exponent. */
  e?: string;
  /** EC curve: `P-256`. */
  crv?: string;
  /** EC x coordinate. */
  x?: string;
  /** EC y coordinate. */
  y?: string;
  /** Key id (equal to `x5t#S256`). */
  kid: string;
  /** Always `sig`. */
  use: 'sig';
  /** The JWS algorithm. */
  alg: SigningAlgorithm;
  /** base64url SHA-1 of the certificate. */
  x5t: string;
  /** base64url SHA-256 of the certificate. */
  'x5t#S256': string;
  /** The certificate chain (our self-signed certificate), base64 DER. */
  x5c: string[];
}

/** A public JWK for the certificate, with `kid`, `x5t`, `x5t#S256` and `x5c` (RFC 7517 section 4). */
export function certificateToJwk(certificate: OAuthCertificate): PublicJwk {
  return {
    ...(certificate.publicKey.export({ format: 'jwk' }) as Pick<PublicJwk, 'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'>),
    kid: certificate.kid,
    use: 'sig',
    alg: certificate.alg,
    x5t: certificate.x5t,
    'x5t#S256': certificate.x5tS256,
    x5c: [certificate.der.toString('base64')],
  };
}
