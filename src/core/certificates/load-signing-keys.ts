import type { Clock } from '../clock';
import { ConfigError } from '../errors/config-error';
import type { S2SConfig, SignerInput } from '../config/config-input';
import { DEFAULT_SIGNER_TIMEOUT_MS } from '../config/config-limits';
import { externalSigningCredential, parseSigningCredential, type SigningCredential } from './oauth-certificate';
import { readPemSource, type PemSource } from './pem-source';
import type { Signer } from './signer';
import { SigningKeyRing, type ScheduledCredential } from './signing-key-ring';

/**
 * Finds the signer a `signer` entry names (the facade's: `s2s-oauth/pkcs11` for a PKCS#11 token,
 * `options.signers` for an external one), and says where its key lives (for people). Throws a
 * `ConfigError` naming `field` when it cannot.
 */
export type SignerResolver = (signer: SignerInput, field: string) => { signer: Signer; keyLocation: string };

/** How to read the `signing` section: where `{ env }` sources come from, and how signers are found. */
export interface SigningKeyOptions {
  env?: NodeJS.ProcessEnv;
  resolveSigner?: SignerResolver;
}

/** Reads the `signing` section's PEM sources (and signers) and builds the key ring; every error names its field. */
export function loadSigningKeys(
  signing: S2SConfig['signing'],
  clock: Clock,
  options: SigningKeyOptions = {},
): SigningKeyRing {
  const current = readPair(signing, 'signing', clock, options);
  return new SigningKeyRing(current, loadNextSigningKey(signing, current, clock, options), clock);
}

/**
 * The `signing.next` pair and when it starts signing (a reload schedules it), checked as at
 * start-up: readable, strong, matching, and starting before the current certificate expires.
 */
export function loadNextSigningKey(
  signing: S2SConfig['signing'],
  current: SigningCredential,
  clock: Clock,
  options: SigningKeyOptions = {},
): ScheduledCredential | undefined {
  if (!signing.next) return undefined;
  const credential = readPair(signing.next, 'signing.next', clock, options);
  const from = new Date(signing.next.effectiveAt).getTime();
  if (from >= current.notAfter.getTime()) {
    // A gap would leave the service with no valid signing certificate at all.
    throw new ConfigError(
      'signing.next.effectiveAt',
      `must be before the current certificate expires (${current.notAfter.toISOString()})`,
    );
  }
  return { credential, from };
}

function readPair(
  pair: { certificate: PemSource; privateKey?: PemSource; signer?: SignerInput },
  prefix: string,
  clock: Clock,
  { env, resolveSigner }: SigningKeyOptions,
): SigningCredential {
  const read = (source: PemSource, field: string, secret: boolean) =>
    readPemSource(source, field, { secret, ...(env && { env }) });
  const certificate = read(pair.certificate, `${prefix}.certificate`, false);
  if (pair.privateKey !== undefined)
    return parseSigningCredential(
      certificate,
      read(pair.privateKey, `${prefix}.privateKey`, true),
      { certificate: `${prefix}.certificate`, privateKey: `${prefix}.privateKey` },
      clock(),
    );
  const field = `${prefix}.signer`;
  if (!pair.signer || !resolveSigner)
    throw new ConfigError(field, 'a key outside the process needs createS2SAuth to reach its signer');
  const { signer, keyLocation } = resolveSigner(pair.signer, field);
  return externalSigningCredential(
    certificate,
    signer,
    { certificate: `${prefix}.certificate`, signer: field },
    clock(),
    {
      timeoutMs: pair.signer.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS,
      keyLocation,
    },
  );
}
