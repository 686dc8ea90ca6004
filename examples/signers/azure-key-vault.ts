// A signer over an Azure Key Vault key (RSA or EC P-256, non-exportable): Key Vault signs a
// SHA-256 digest of each token's signing input; s2s-oauth checks what comes back.
// (`npm test` type-checks this file; it is not run: there is no cloud here.)
import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { CryptographyClient } from '@azure/keyvault-keys';
import type { Signer } from 's2s-oauth';

export function keyVaultSigner(keyId: string, credential: TokenCredential): Signer {
  const vault = new CryptographyClient(keyId, credential); // keyId: https://<vault>.vault.azure.net/keys/<name>/<version>
  return {
    async sign(input, alg) {
      const digest = createHash('sha256').update(input).digest();
      // Key Vault names the algorithms as JWS does; its ES256 signature is R || S, as JWS wants.
      const { result } = await vault.sign(alg, digest);
      return result;
    },
  };
}
