import type { Clock } from '../clock';
import { ConfigError } from '../errors/config-error';
import type { S2SConfig } from '../config/config-schema';
import { parseSigningCredential } from './oauth-certificate';
import { readPemSource, type PemSource } from './pem-source';
import { SigningKeyRing } from './signing-key-ring';

/** Reads the `signing` section's PEM sources and builds the key ring; every error names its field. */
export function loadSigningKeys(signing: S2SConfig['signing'], clock: Clock, env?: NodeJS.ProcessEnv): SigningKeyRing {
  const read = (certificate: PemSource, privateKey: PemSource, prefix: string) =>
    parseSigningCredential(
      readPemSource(certificate, `${prefix}.certificate`, { secret: false, ...(env && { env }) }),
      readPemSource(privateKey, `${prefix}.privateKey`, { secret: true, ...(env && { env }) }),
      { certificate: `${prefix}.certificate`, privateKey: `${prefix}.privateKey` },
      clock(),
    );
  const current = read(signing.certificate, signing.privateKey, 'signing');
  const next = signing.next && {
    credential: read(signing.next.certificate, signing.next.privateKey, 'signing.next'),
    effectiveAt: new Date(signing.next.effectiveAt),
  };
  if (next && next.effectiveAt.getTime() >= current.notAfter.getTime()) {
    // A gap would leave the service with no valid signing certificate at all.
    throw new ConfigError(
      'signing.next.effectiveAt',
      `must be before the current certificate expires (${current.notAfter.toISOString()})`,
    );
  }
  return new SigningKeyRing(current, next, clock);
}
