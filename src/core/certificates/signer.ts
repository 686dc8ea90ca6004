import { randomBytes, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors/config-error';
import { printable } from '../partner-text';
import type { OAuthCertificate, SigningAlgorithm } from './oauth-certificate';

/**
 * Signs for a key that lives outside the process: an HSM (`s2s-oauth/pkcs11`), a cloud key vault
 * (AWS KMS, Azure Key Vault), any service that signs on request and never hands the key out.
 * The library gives it the JWS signing input and the certificate's algorithm, and checks every
 * signature it returns against the certificate before using it.
 *
 * @example
 * ```ts
 * const signer: Signer = { sign: async (input, alg) => myVault.sign(input, alg) };
 * createS2SAuth(config, { signers: { vault: signer } }); // "signing": { "certificate": ..., "signer": { "kind": "external", "name": "vault" } }
 * ```
 */
export interface Signer {
  /**
   * Signs `input` (the ASCII bytes of `<header>.<payload>`) for `alg` and resolves with the JWS
   * signature: RSASSA-PKCS1-v1_5 with SHA-256 for RS256; for ES256 the 64 bytes R || S (IEEE
   * P1363, as JWS wants it; AWS KMS answers DER, convert it). The digest is the signer's to take.
   */
  sign(input: Uint8Array, alg: SigningAlgorithm): Promise<Uint8Array>;
}

/** Why a signature could not be had: the signer did not answer in time, failed, or returned one that does not verify. */
export class SigningError extends Error {
  /** Always `SigningError`. */
  override readonly name = 'SigningError';
  constructor(
    message: string,
    /** `timeout`, `failed` (it threw or rejected) or `wrong_signature` (not made by the certificate's key). */
    readonly reason: 'timeout' | 'failed' | 'wrong_signature',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How a certificate's key signs: in the process, or through a {@link Signer}. */
export interface SigningMethod {
  /** Signs a JWS signing input: bounded in time, and (for an external signer) checked before it is returned. */
  readonly sign: (input: Buffer) => Promise<Buffer>;
  /**
   * The key itself when it lives in the process, so tokens are signed by jose as they always were;
   * undefined for an external signer.
   * @internal
   */
  readonly inProcessKey?: KeyObject;
  /** Where the key lives, for people (never a secret): `in process`, `pkcs11 token "s2s", key "oauth-2026"`, ... */
  readonly keyLocation: string;
  /**
   * Settles once the key is known to belong to the certificate: at once for a key read into the
   * process (checked when read); after a probe signature for an external signer, rejecting with a
   * `ConfigError` naming the field when it does not match or cannot sign.
   */
  readonly ready: Promise<void>;
}

/** node:crypto's options for a JWS algorithm: ES256 signatures are R || S, not DER. */
function keyFor(key: KeyObject, alg: SigningAlgorithm) {
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
}

/** Whether `signature` is `alg`'s signature of `input` by the certificate's key. */
export function isSignatureOf(
  certificate: Pick<OAuthCertificate, 'publicKey' | 'alg'>,
  input: Buffer,
  signature: Uint8Array,
): boolean {
  try {
    return cryptoVerify('sha256', input, keyFor(certificate.publicKey, certificate.alg), signature);
  } catch {
    return false;
  }
}

/**
 * A key read into the process (a `KeyObject`, never exported). Tokens are signed with it by jose;
 * `sign` (for a raw signing input) runs on libuv's thread pool.
 */
export function inProcessSigning(privateKey: KeyObject, alg: SigningAlgorithm): SigningMethod {
  const key = keyFor(privateKey, alg);
  return {
    sign: (input) =>
      new Promise((resolve, reject) =>
        cryptoSign('sha256', input, key, (error, signature) => (error ? reject(error) : resolve(signature))),
      ),
    inProcessKey: privateKey,
    keyLocation: 'in process',
    ready: Promise.resolve(),
  };
}

/**
 * An external signer for `certificate`: each signature bounded by `timeoutMs` and verified
 * against the certificate (a signer holding another key, or answering garbage, gives a
 * `SigningError`, never a token partners refuse), and one probe signature at once, so a signer
 * whose key is not the certificate's is refused at start-up (`ready` rejects with a
 * `ConfigError` naming `field`).
 */
export function externalSigning(
  certificate: Pick<OAuthCertificate, 'publicKey' | 'alg'>,
  signer: Signer,
  options: { field: string; timeoutMs: number; keyLocation: string },
): SigningMethod {
  const { timeoutMs, keyLocation } = options;
  const sign = async (input: Buffer): Promise<Buffer> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SigningError(`the signer (${keyLocation}) did not answer within ${timeoutMs} ms`, 'timeout')),
        timeoutMs,
      );
    });
    let signature: Uint8Array;
    try {
      signature = await Promise.race([
        Promise.resolve()
          .then(() => signer.sign(new Uint8Array(input), certificate.alg))
          .catch((error: unknown) => {
            throw new SigningError(
              `the signer (${keyLocation}) failed: ${printable(String((error as Error)?.message ?? error))}`,
              'failed',
              {
                cause: error,
              },
            );
          }),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (!(signature instanceof Uint8Array) || !isSignatureOf(certificate, input, signature))
      throw new SigningError(
        `the signer (${keyLocation}) returned a signature the certificate's key did not make`,
        'wrong_signature',
      );
    return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  };
  const ready = sign(Buffer.from(`s2s-oauth probe ${randomBytes(16).toString('base64url')}`)).then(
    () => undefined,
    (error: unknown) => {
      const reason = error instanceof SigningError ? error.reason : 'failed';
      throw new ConfigError(
        options.field,
        reason === 'wrong_signature'
          ? `the signer's key does not match the certificate (${keyLocation})`
          : `the signer cannot sign (${(error as Error).message})`,
        { cause: error },
      );
    },
  );
  // Reported through `ready` (and `s2s.ready()`); never an unhandled rejection.
  ready.catch(() => undefined);
  return { sign, keyLocation, ready };
}
