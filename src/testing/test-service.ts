import { randomUUID } from 'node:crypto';
import type { S2SConfigInput } from '../core/config/config-input';
import { createOAuthCertificate } from '../core/certificates/create-certificate';
import { defaultRealmFor } from '../core/config/default-realm';

/** What {@link createTestService} fills in; anything given is kept. */
export type TestServiceInput = Partial<S2SConfigInput>;

const LOOPBACK = '127.0.0.1';

/**
 * A service configuration for tests, ready for `createS2SAuth`: what `config` gives, and a fresh
 * in-memory signing certificate in place of `signing` (no files). Defaults: a random
 * `serviceName`, the realm the library derives from `hostnames` (else `contoso.com`), `hostnames` `['127.0.0.1']`, and plain http allowed to
 * 127.0.0.1 for key sources and outbound calls (test partners serve their metadata there).
 *
 * Pass the application's own configuration (e.g. from `loadConfig`) to test the routes with its
 * settings; its partners stay as configured, so add test partners' `partnerConfig` for callers.
 */
export async function createTestService(config: TestServiceInput = {}): Promise<S2SConfigInput> {
  const { serviceName = randomUUID(), hostnames = [LOOPBACK] } = config;
  // The realm the library would derive from the hostnames (so audiences agree), else contoso.com.
  const realm = config.realm ?? defaultRealmFor(hostnames[0] ?? '') ?? 'contoso.com';
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({
    realm,
    name: serviceName,
    additionalRealms: config.additionalRealms ?? [],
  });
  return {
    ...config,
    serviceName,
    realm,
    hostnames,
    signing: { certificate: { pem: certificatePem }, privateKey: { pem: privateKeyPem } },
    keySources: { ...config.keySources, allowInsecureHosts: withLoopback(config.keySources?.allowInsecureHosts) },
    outbound: { ...config.outbound, allowInsecureHosts: withLoopback(config.outbound?.allowInsecureHosts) },
  };
}

function withLoopback(hosts: readonly string[] = []): string[] {
  return hosts.includes(LOOPBACK) ? [...hosts] : [...hosts, LOOPBACK];
}
