import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors/config-error';
import { loadConfig, parseConfig } from '../../../src/core/config/parse-config';
import { defaultRealmFor } from '../../../src/core/config/default-realm';
import { IDS, tempDir } from '../../helpers/certificates';
import { inspectForSecrets } from '../../helpers/secret-scan';

const valid = () => ({
  serviceName: IDS.contacts,
  hostnames: ['contacts.contoso.com'],
  signing: { certificate: 'cert.pem', privateKey: 'key.pem' },
});

function errorOf(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(TypeError);
    inspectForSecrets('ConfigError', e);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('fills in defaults and derives the realm from the first hostname', () => {
    const config = parseConfig(valid(), { baseDir: '/etc/s2s' });
    expect(config.realm).toBe('contoso.com');
    expect(config.tokens).toEqual({
      lifetimeSeconds: 300,
      clockSkewSeconds: 60,
      maxInboundLifetimeSeconds: 3600,
      maxTokenBytes: 8192,
    });
    expect(config.replayCache).toEqual({ maxEntries: 100_000, timeoutMs: 1000 });
    expect(config.signing.certificate).toBe('/etc/s2s/cert.pem');
    expect(config.partners).toEqual([]);
    expect(config.keySources.allowInsecureHosts).toEqual([]);
  });

  it('is idempotent on an already parsed configuration', () => {
    const once = parseConfig(valid(), { baseDir: '/etc/s2s' });
    expect(parseConfig(once)).toEqual(once);
  });

  it('keeps an explicit realm', () => {
    expect(parseConfig({ ...valid(), realm: 'fabrikam.com' }).realm).toBe('fabrikam.com');
  });

  it.each([
    ['contacts.contoso.com', 'contoso.com'],
    ['contoso.com', 'contoso.com'],
    ['Mail.Contoso.com:8443', 'contoso.com'],
    ['localhost', undefined],
    ['127.0.0.1', undefined],
  ])('derives the default realm of %s as %s', (host, realm) => {
    expect(defaultRealmFor(host)).toBe(realm);
  });

  it.each<[string, (c: Record<string, unknown>) => unknown, string]>([
    ['serviceName', (c) => ({ ...c, serviceName: undefined }), 'serviceName'],
    ['empty serviceName', (c) => ({ ...c, serviceName: '  ' }), 'serviceName'],
    ['hostnames', (c) => ({ ...c, hostnames: [] }), 'hostnames'],
    ['hostname type', (c) => ({ ...c, hostnames: [42] }), 'hostnames[0]'],
    ['realm underivable', (c) => ({ ...c, hostnames: ['127.0.0.1'] }), 'realm'],
    ['unknown top-level field', (c) => ({ ...c, realms: ['x'] }), 'realms'],
    [
      'unknown nested field',
      (c) => ({ ...c, signing: { certificate: 'a', privateKey: 'b', password: 'x' } }),
      'signing.password',
    ],
    ['signing key missing', (c) => ({ ...c, signing: { certificate: 'a' } }), 'signing.privateKey'],
    [
      'next effectiveAt',
      (c) => ({
        ...c,
        signing: {
          certificate: 'a',
          privateKey: 'b',
          next: { certificate: 'c', privateKey: 'd', effectiveAt: 'tomorrow' },
        },
      }),
      'signing.next.effectiveAt',
    ],
    ['lifetime over the hard cap', (c) => ({ ...c, tokens: { lifetimeSeconds: 7200 } }), 'tokens.lifetimeSeconds'],
    ['lifetime not whole', (c) => ({ ...c, tokens: { lifetimeSeconds: 1.5 } }), 'tokens.lifetimeSeconds'],
    ['skew negative', (c) => ({ ...c, tokens: { clockSkewSeconds: -1 } }), 'tokens.clockSkewSeconds'],
    ['unknown tokens field', (c) => ({ ...c, tokens: { lifetime: 5 } }), 'tokens.lifetime'],
    ['additionalRealms type', (c) => ({ ...c, additionalRealms: 'fabrikam.com' }), 'additionalRealms'],
    [
      'partner trust level',
      (c) => ({
        ...c,
        partners: [
          { name: 'im', applicationId: 'x', trustLevel: 'Admin', keySource: { kind: 'jwks', url: 'https://im/jwks' } },
        ],
      }),
      'partners[0].trustLevel',
    ],
    [
      'partner key source kind',
      (c) => ({
        ...c,
        partners: [{ name: 'im', applicationId: 'x', trustLevel: 'Full', keySource: { kind: 'ldap' } }],
      }),
      'partners[0].keySource.kind',
    ],
    [
      'partner jwks url',
      (c) => ({
        ...c,
        partners: [
          { name: 'im', applicationId: 'x', trustLevel: 'Full', keySource: { kind: 'jwks', url: 'not a url' } },
        ],
      }),
      'partners[0].keySource.url',
    ],
    [
      'partner applicationId',
      (c) => ({
        ...c,
        partners: [{ name: 'im', trustLevel: 'Full', keySource: { kind: 'jwks', url: 'https://im/jwks' } }],
      }),
      'partners[0].applicationId',
    ],
    [
      'duplicate partner',
      (c) => ({
        ...c,
        partners: [
          { name: 'im', trustLevel: 'Full' },
          { name: 'im', trustLevel: 'User' },
        ],
      }),
      'partners[1].name',
    ],
    [
      'partner unknown field',
      (c) => ({ ...c, partners: [{ name: 'im', trustLevel: 'Full', trust: 'Full' }] }),
      'partners[0].trust',
    ],
    ['key source timeout', (c) => ({ ...c, keySources: { timeoutMs: 0 } }), 'keySources.timeoutMs'],
    [
      'authorization server url',
      (c) => ({ ...c, authorizationServers: [{ name: 'as', metadataUrl: 'ftp://x' }] }),
      'authorizationServers[0].metadataUrl',
    ],
    [
      'duplicate authorization server',
      (c) => ({
        ...c,
        authorizationServers: [
          { name: 'as', metadataUrl: 'https://a/m' },
          { name: 'as', metadataUrl: 'https://b/m' },
        ],
      }),
      'authorizationServers[1].name',
    ],
    ['replay store timeout', (c) => ({ ...c, replayCache: { timeoutMs: 0 } }), 'replayCache.timeoutMs'],
  ])('names the field of a bad %s', (_label, mutate, path) => {
    const error = errorOf(mutate(valid()));
    expect(error.path).toBe(path);
    expect(error.message).toContain(`${path}:`);
  });

  it('takes a probePath that is a path, and refuses one with a scheme or host', () => {
    const partner = { name: 'im', applicationId: 'a', trustLevel: 'Full', baseUrls: ['https://im.contoso.com/api'] };
    expect(
      parseConfig({ ...valid(), partners: [{ ...partner, probePath: '/health?deep=1' }] }).partners[0]!.probePath,
    ).toBe('/health?deep=1');
    for (const probePath of ['health', 'https://evil.example/x', '//evil.example/x', '/a#b']) {
      const error = errorOf({ ...valid(), partners: [{ ...partner, probePath }] });
      expect(error.issues.map((i) => i.path)).toEqual(['partners[0].probePath']);
    }
  });

  it('says what was expected', () => {
    expect(errorOf({ ...valid(), partners: [{ name: 'im', trustLevel: 'Admin' }] }).message).toMatch(
      /"Full", "Application" or "User"/,
    );
    expect(errorOf({ ...valid(), tokens: { lifetimeSeconds: 7200 } }).message).toMatch(/at most 3600/);
    expect(errorOf({ ...valid(), serviceName: undefined }).message).toBe(
      's2s-oauth config: serviceName: required (expected string)',
    );
  });

  it('refuses a document that is not an object', () => {
    expect(errorOf('nope').path).toBe('');
  });
});

describe('loadConfig', () => {
  const dir = tempDir();

  it('resolves paths against the file folder', () => {
    const file = join(dir, 's2s.json');
    writeFileSync(file, JSON.stringify(valid()));
    const config = loadConfig(file);
    expect(config.signing.certificate).toBe(join(dir, 'cert.pem'));
    expect(config.signing.privateKey).toBe(join(dir, 'key.pem'));
  });

  it('names the file when it is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "serviceName": ');
    expect(() => loadConfig(file)).toThrow(/broken\.json is not valid JSON/);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(
      /cannot read configuration file .*missing\.json: ENOENT/,
    );
  });

  it('names the field inside a file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...valid(), tokens: { clockSkewSeconds: 'x' } }));
    expect(() => loadConfig(file)).toThrow(expect.objectContaining({ path: 'tokens.clockSkewSeconds' }));
  });
});
