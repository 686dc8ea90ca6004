import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { loadX509 } from '../lazy-modules';

/** Options of {@link createOAuthCertificate}. */
export interface CreateCertificateOptions {
  /** The service's realm: a DNS SAN of the certificate. */
  realm: string;
  /** The certificate's common name (usually the service's name or principal id). */
  name: string;
  /** Additional realms, as further DNS SANs. */
  additionalRealms?: string[];
  /** `rsa` (RSA 2048, RS256; the default, what Microsoft peers expect) or `ec` (P-256, ES256). */
  keyType?: 'rsa' | 'ec';
  /** Validity in days (default 365). */
  days?: number;
  /** Start of validity (default: now). */
  notBefore?: Date;
}

/** A certificate and key made by {@link createOAuthCertificate}. */
export interface CreatedCertificate {
  /** The certificate, PEM. */
  certificatePem: string;
  /** The PKCS#8 private key, PEM: store it as a secret (mode 0600, a secret manager), never log it. */
  privateKeyPem: string;
}

/**
 * Creates a self-signed OAuth (token-signing) certificate and its private key, both as PEM.
 * Uses `@peculiar/x509` for the X.509 encoding and WebCrypto for the key pair.
 */
export async function createOAuthCertificate(options: CreateCertificateOptions): Promise<CreatedCertificate> {
  const x509 = loadX509();
  const algorithm =
    options.keyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = options.notBefore ?? new Date();
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 365) * 86_400_000);
  const dnsNames = [options.realm, ...(options.additionalRealms ?? [])];
  const cn = options.name.replace(/[,+="\\<>;#]/g, (c) => `\\${c}`);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${cn}`,
      notBefore,
      notAfter,
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
      ],
    },
    webcrypto as unknown as Crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return { certificatePem: certificate.toString('pem') + '\n', privateKeyPem };
}
