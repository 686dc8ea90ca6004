import { randomUUID } from 'node:crypto';
import type { S2SConfigInput } from '../core/config/config-input';
import { createOAuthCertificate } from '../core/certificates/create-certificate';
import { defaultRealmFor } from '../core/config/default-realm';
import { refuseInProduction } from './production-guard';

/** What {@link createTestService} fills in; anything given is kept. */
export type TestServiceInput = Partial<S2SConfigInput>;

const LOOPBACK = '127.0.0.1';

/** Options of {@link createTestService} (what is not part of the configuration). */
export interface TestServiceOptions {
  /**
   * Allow plain `http:` to `127.0.0.1` for key sources and outbound calls, as partners served by
   * `serveMetadata()` and loopback test servers need. Default `false`: the configuration's own
   * `allowInsecureHosts` stay as given.
   */
  allowLoopbackHttp?: boolean;
  /** Run even with `NODE_ENV=production` (a test run under that setting). Default `false`: refused. */
  allowInProduction?: boolean;
}

/**
 * A service configuration for tests, ready for `createS2SAuth`: what `config` gives, and a fresh
 * in-memory signing certificate in place of `signing` (no files). Defaults: a random
 * `serviceName`, the realm the library derives from `hostnames` (else `contoso.com`), and
 * `hostnames` `['127.0.0.1']`. With `allowLoopbackHttp`, plain http to 127.0.0.1 is allowed for
 * key sources and outbound calls (test partners serve their metadata there).
 *
 * Refused with `NODE_ENV=production` unless `allowInProduction` says this is a test.
 *
 * Pass the application's own configuration (e.g. from `loadConfig`) to test the routes with its
 * settings; its partners stay as configured, so add test partners' `partnerConfig` for callers.
 */
export async function createTestService(
  config: TestServiceInput = {},
  options: TestServiceOptions = {},
): Promise<S2SConfigInput> {
  refuseInProduction('createTestService', options.allowInProduction);
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
    ...(options.allowLoopbackHttp && {
      keySources: { ...config.keySources, allowInsecureHosts: withLoopback(config.keySources?.allowInsecureHosts) },
      outbound: { ...config.outbound, allowInsecureHosts: withLoopback(config.outbound?.allowInsecureHosts) },
    }),
  };
}

function withLoopback(hosts: readonly string[] = []): string[] {
  return hosts.includes(LOOPBACK) ? [...hosts] : [...hosts, LOOPBACK];
}
