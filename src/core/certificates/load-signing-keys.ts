import type { Clock } from '../clock';
import { ConfigError } from '../errors/config-error';
import type { S2SConfig } from '../config/config-schema';
import { parseSigningCredential, type SigningCredential } from './oauth-certificate';
import { readPemSource, type PemSource } from './pem-source';
import { SigningKeyRing, type ScheduledCredential } from './signing-key-ring';

/** Reads the `signing` section's PEM sources and builds the key ring; every error names its field. */
export function loadSigningKeys(signing: S2SConfig['signing'], clock: Clock, env?: NodeJS.ProcessEnv): SigningKeyRing {
  const current = readPair(signing.certificate, signing.privateKey, 'signing', clock, env);
  return new SigningKeyRing(current, loadNextSigningKey(signing, current, clock, env), clock);
}

/**
 * The `signing.next` pair and when it starts signing (a reload schedules it), checked as at
 * start-up: readable, strong, matching, and starting before the current certificate expires.
 */
export function loadNextSigningKey(
  signing: S2SConfig['signing'],
  current: SigningCredential,
  clock: Clock,
  env?: NodeJS.ProcessEnv,
): ScheduledCredential | undefined {
  if (!signing.next) return undefined;
  const credential = readPair(signing.next.certificate, signing.next.privateKey, 'signing.next', clock, env);
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
  certificate: PemSource,
  privateKey: PemSource,
  prefix: string,
  clock: Clock,
  env: NodeJS.ProcessEnv | undefined,
): SigningCredential {
  return parseSigningCredential(
    readPemSource(certificate, `${prefix}.certificate`, { secret: false, ...(env && { env }) }),
    readPemSource(privateKey, `${prefix}.privateKey`, { secret: true, ...(env && { env }) }),
    { certificate: `${prefix}.certificate`, privateKey: `${prefix}.privateKey` },
    clock(),
  );
}
