/**
 * `s2s-oauth/pkcs11`: signing keys that never leave their HSM. A service's OAuth certificate
 * stays a file; its private key lives in a PKCS#11 token (an HSM, SoftHSM2) and only signs there,
 * through `pkcs11js` (an optional peer dependency: `npm i pkcs11js`). A configuration names it
 * declaratively (`"signer": { "kind": "pkcs11", ... }`, read by `createS2SAuth` and the CLI);
 * this subpath is for code that wants the signer itself.
 * @packageDocumentation
 */
export {
  pkcs11Signer,
  generatePkcs11KeyPair,
  type Pkcs11Signer,
  type Pkcs11KeyOptions,
  type GenerateKeyPairOptions,
} from './pkcs11-signer';
export type { Signer } from '../core/certificates/signer';
