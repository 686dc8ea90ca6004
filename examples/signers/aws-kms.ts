// A signer over an AWS KMS asymmetric key (key spec RSA_2048, usage SIGN_VERIFY): the private key
// never leaves KMS; s2s-oauth hands it each token's signing input and checks what comes back.
// (`npm test` type-checks this file; it is not run: there is no cloud here.)
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Signer } from 's2s-oauth';

export function kmsSigner(keyId: string, kms = new KMSClient({})): Signer {
  return {
    async sign(input, alg) {
      if (alg !== 'RS256') throw new Error(`this KMS key signs RS256, not ${alg}`);
      const command = new SignCommand({
        KeyId: keyId,
        Message: input,
        MessageType: 'RAW', // KMS hashes it with SHA-256
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      });
      const { Signature } = await kms.send(command);
      if (!Signature) throw new Error('KMS answered without a signature');
      return Signature;
    },
  };
}

/** The key's public half, for `createOAuthCertificateForSigner` (the certificate partners trust). */
export async function kmsPublicKey(keyId: string, kms = new KMSClient({})): Promise<KeyObject> {
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
}
