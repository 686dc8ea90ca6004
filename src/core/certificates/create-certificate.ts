import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './oauth-certificate';
import type { Signer } from './signer';
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
  const algorithm = algorithmFor(options.keyType === 'ec' ? 'ES256' : 'RS256');
  const keys = (await webcrypto.subtle.generateKey(
    { ...algorithm, publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const certificatePem = await selfSigned(options, algorithm, keys, webcrypto as unknown as Crypto);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return { certificatePem, privateKeyPem };
}

/**
 * Creates a self-signed OAuth certificate for a key that lives outside the process (an HSM, a key
 * vault): `publicKey` is its public half, `signer` signs the certificate with it, so the private
 * key never exists in a file. Returns the certificate, PEM.
 */
export async function createOAuthCertificateForSigner(
  options: Omit<CreateCertificateOptions, 'keyType'> & { publicKey: KeyObject; signer: Signer },
): Promise<string> {
  const { publicKey, signer } = options;
  const alg: SigningAlgorithm = publicKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const algorithm = algorithmFor(alg);
  // @peculiar/x509 signs through WebCrypto's `subtle.sign`: here that is the signer.
  const viaSigner = {
    getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
    subtle: {
      sign: async (_algorithm: unknown, _key: unknown, data: BufferSource) =>
        (await signer.sign(new Uint8Array(data as ArrayBuffer), alg)).slice().buffer,
    },
  } as unknown as Crypto;
  const keys = {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }),
    privateKey: { algorithm, type: 'private' },
  } as unknown as CryptoKeyPair;
  return selfSigned(options, algorithm, keys, viaSigner);
}

function algorithmFor(alg: SigningAlgorithm) {
  return alg === 'ES256'
    ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

async function selfSigned(
  options: Omit<CreateCertificateOptions, 'keyType'>,
  algorithm: ReturnType<typeof algorithmFor>,
  keys: CryptoKeyPair,
  crypto: Crypto,
): Promise<string> {
  const x509 = loadX509();
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
    crypto,
  );
  return certificate.toString('pem') + '\n';
}
