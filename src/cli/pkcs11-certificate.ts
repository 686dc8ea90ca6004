import { createOAuthCertificateForSigner } from '../core/certificates/create-certificate';
import type { SignerInput } from '../core/config/config-input';
import { ConfigError } from '../core/errors/config-error';
import { UsageError } from './cli-io';

/** The PKCS#11 options `cert new` and `cert rollover` share. */
export const PKCS11_OPTIONS = {
  'pkcs11-module': { type: 'string' },
  'pkcs11-token': { type: 'string' },
  'pkcs11-slot': { type: 'string' },
  'pkcs11-key': { type: 'string' },
  'pkcs11-pin-env': { type: 'string' },
  generate: { type: 'boolean' },
} as const;

export const PKCS11_HELP = `  --pkcs11-module PATH   the key lives in a PKCS#11 token (an HSM): the module, e.g.
                        /usr/lib/softhsm/libsofthsm2.so; only the certificate is written
  --pkcs11-token LABEL   the token, by label (or --pkcs11-slot ID)
  --pkcs11-key LABEL     the private key in the token, by label
  --pkcs11-pin-env NAME  the environment variable holding the user PIN (never printed)
  --generate             generate the key pair in the token first (RSA 2048 or --key-type ec;
                         sensitive, not extractable)
`;

type Pkcs11Values = { [K in keyof typeof PKCS11_OPTIONS]?: K extends 'generate' ? boolean : string };

/** The `signer` entry the flags describe, or `undefined` when no PKCS#11 flag was given. */
export function pkcs11SignerFromFlags(
  values: Pkcs11Values,
  base?: Extract<SignerInput, { kind: 'pkcs11' }>,
): Extract<SignerInput, { kind: 'pkcs11' }> | undefined {
  const module = values['pkcs11-module'] ?? base?.module;
  if (!module && !values['pkcs11-key']) return undefined;
  if (!module) throw new UsageError('--pkcs11-module is required (the current signer is not a PKCS#11 token)');
  const slot = values['pkcs11-slot'] === undefined ? undefined : Number(values['pkcs11-slot']);
  if (slot !== undefined && !Number.isInteger(slot)) throw new UsageError('--pkcs11-slot must be a whole number');
  const token = values['pkcs11-token'] ?? (slot === undefined ? base?.token : undefined);
  const key = values['pkcs11-key'];
  const pinEnv = values['pkcs11-pin-env'] ?? base?.pin.env;
  if (token === undefined && (slot ?? base?.slot) === undefined)
    throw new UsageError('--pkcs11-token or --pkcs11-slot is required');
  if (!key) throw new UsageError('--pkcs11-key is required');
  if (!pinEnv) throw new UsageError('--pkcs11-pin-env is required (the PIN is read from that variable)');
  return {
    kind: 'pkcs11',
    module,
    ...(token !== undefined ? { token } : { slot: slot ?? base!.slot! }),
    key,
    pin: { env: pinEnv },
  };
}

/**
 * A certificate for a key held in a PKCS#11 token, signed by that key (generated first with
 * `generate`): the private key is never in a file, nor in this process.
 */
export async function certificateInToken(
  signer: Extract<SignerInput, { kind: 'pkcs11' }>,
  options: {
    generate: boolean;
    keyType: 'rsa' | 'ec';
    realm: string;
    name: string;
    additionalRealms: string[];
    days: number;
  },
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkcs11 = require('../pkcs11/pkcs11-signer') as typeof import('../pkcs11/pkcs11-signer');
  const { kind: _kind, timeoutMs: _timeoutMs, ...where } = signer;
  try {
    if (options.generate) pkcs11.generatePkcs11KeyPair({ ...where, key: signer.key!, keyType: options.keyType });
    const inToken = pkcs11.pkcs11Signer(where);
    try {
      return await createOAuthCertificateForSigner({
        realm: options.realm,
        name: options.name,
        additionalRealms: options.additionalRealms,
        days: options.days,
        publicKey: inToken.publicKey(),
        signer: inToken,
      });
    } finally {
      inToken.close();
    }
  } catch (error) {
    throw new ConfigError('pkcs11', (error as Error).message);
  }
}
