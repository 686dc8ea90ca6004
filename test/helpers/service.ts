import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { S2SConfigInput } from '../../src/core/config/config-schema';
import type { Clock } from '../../src/core/clock';
import { IDS, tempDir, writeCertificate } from './certificates';

/**
 * A controllable clock for tests: starts at `start` (ms; default: now, to the second, so the
 * certificates tests create are valid at it) and moves only when told.
 */
export function manualClock(
  start = Math.floor(Date.now() / 1000) * 1000,
): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = start;
  const clock = (() => now) as Clock & { set(ms: number): void; advance(ms: number): void };
  clock.set = (ms) => (now = ms);
  clock.advance = (ms) => (now += ms);
  return clock;
}

/** Writes a certificate for a service and returns its configuration (without partners). */
export async function serviceConfig(
  name: keyof typeof IDS,
  overrides: Partial<S2SConfigInput> = {},
  certificate: { keyType?: 'rsa' | 'ec'; notBefore?: Date } = {},
): Promise<S2SConfigInput> {
  const dir = tempDir(`s2s-${name}-`);
  const cert = await writeCertificate(dir, name, { realm: 'contoso.com', ...certificate });
  return {
    serviceName: IDS[name],
    hostnames: [`${name}.contoso.com`],
    signing: { certificate: cert.certificate, privateKey: cert.privateKey },
    ...overrides,
  };
}

/** A ready service with a fresh certificate. */
export async function createService(
  name: keyof typeof IDS,
  overrides: Partial<S2SConfigInput> = {},
  clock?: Clock,
): Promise<S2SAuth> {
  return createS2SAuth(await serviceConfig(name, overrides), clock ? { clock } : {});
}

/**
 * The private key a test service signs with, read from its key file (the library never hands a
 * key out): for tests that sign tokens of their own with jose.
 */
export function signingKeyOf(s2s: S2SAuth): KeyObject {
  const source = s2s.config.signing.privateKey;
  if (typeof source !== 'string') throw new Error('signingKeyOf: the service was not configured with a key file');
  return createPrivateKey(readFileSync(source, 'utf8'));
}
