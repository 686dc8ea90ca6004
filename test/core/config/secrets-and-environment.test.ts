import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../../src/s2s-auth';
import { ConfigError } from '../../../src/core/errors/config-error';
import { loadConfig, parseConfig } from '../../../src/core/config/parse-config';
import { defaultRealmFor } from '../../../src/core/config/default-realm';
import type { S2SConfigInput } from '../../../src/core/config/config-schema';
import { IDS, tempDir, writeCertificate } from '../../helpers/certificates';
import { cli } from '../../helpers/cli';
import { findSecrets, inspectForSecrets } from '../../helpers/secret-scan';

/** The ConfigError `build` throws (scanned for secrets on the way). */
function configErrorOf(build: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    build();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  inspectForSecrets('ConfigError', thrown);
  return thrown as ConfigError;
}

describe('secrets in configuration', () => {
  const dir = tempDir('s2s-secrets-');
  let cert: Awaited<ReturnType<typeof writeCertificate>>;
  let partnerCert: Awaited<ReturnType<typeof writeCertificate>>;
  const base = (signing: S2SConfigInput['signing'], extra: Partial<S2SConfigInput> = {}): S2SConfigInput => ({
    serviceName: IDS.contacts,
    hostnames: ['contacts.contoso.com'],
    signing,
    ...extra,
  });

  beforeAll(async () => {
    cert = await writeCertificate(dir, 'contacts');
    partnerCert = await writeCertificate(dir, 'messaging');
  });

  it('the scan itself finds a private key, a certificate and a token', () => {
    expect(findSecrets(cert.privateKeyPem)).toEqual(
      expect.arrayContaining(['a PEM block', 'private-key material (base64 DER)']),
    );
    expect(findSecrets(cert.privateKeyPem.split('\n').slice(1, -2).join(''))).toEqual([
      'private-key material (base64 DER)',
    ]);
    expect(findSecrets('eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln')).toEqual(['a token (compact JWS)']);
    expect(findSecrets('s2s-oauth config: signing.privateKey: cannot read the file this field names (ENOENT)')).toEqual(
      [],
    );
  });

  it.each([
    ['signing.privateKey', (pem: string) => base({ certificate: cert.certificate, privateKey: pem })],
    ['signing.certificate', (pem: string) => base({ certificate: pem, privateKey: cert.privateKey })],
    [
      'signing.next.privateKey',
      (pem: string) =>
        base({
          certificate: cert.certificate,
          privateKey: cert.privateKey,
          next: { certificate: cert.certificate, privateKey: pem, effectiveAt: '2030-01-01T00:00:00Z' },
        }),
    ],
    [
      'partners[0].keySource.certificates[0]',
      (pem: string) =>
        base(
          { certificate: cert.certificate, privateKey: cert.privateKey },
          {
            partners: [
              {
                name: 'm',
                applicationId: IDS.messaging,
                realm: 'contoso.com',
                trustLevel: 'Full',
                keySource: { kind: 'certificate', certificates: [pem] },
              },
            ],
          },
        ),
    ],
  ])('refuses PEM text put where a path belongs (%s), naming the field and never echoing it', (field, configWith) => {
    const error = configErrorOf(() => createS2SAuth(configWith(cert.privateKeyPem)));
    expect(error.path).toBe(field);
    expect(error.message).toMatch(
      /PEM text, not a file path: write it as \{ "pem": "..." \} or \{ "env": "VARIABLE" \}/,
    );
    expect(findSecrets(error.message)).toEqual([]);
  });

  it('never echoes the value of a private-key field, even one that is only a wrong path', () => {
    const error = configErrorOf(() =>
      createS2SAuth(base({ certificate: cert.certificate, privateKey: '/run/secrets/s3cr3t-Key-Name' })),
    );
    expect(error.message).toBe('s2s-oauth config: signing.privateKey: cannot read the file this field names (ENOENT)');
  });

  it('takes the signing pair and partner certificates in memory ({ pem }) or from the environment ({ env })', async () => {
    const env = { S2S_KEY: cert.privateKeyPem, S2S_CERT: cert.certificatePem.replace(/\n/g, '\\n') };
    const fromEnv = createS2SAuth(base({ certificate: { env: 'S2S_CERT' }, privateKey: { env: 'S2S_KEY' } }), { env });
    const inline = createS2SAuth(
      base(
        { certificate: { pem: cert.certificatePem }, privateKey: { pem: cert.privateKeyPem } },
        {
          partners: [
            {
              name: 'm',
              applicationId: IDS.messaging,
              realm: 'contoso.com',
              trustLevel: 'Full',
              keySource: { kind: 'certificate', certificates: [{ pem: partnerCert.certificatePem }] },
            },
          ],
        },
      ),
    );
    expect(fromEnv.signingKeys.active().x5t).toBe(inline.signingKeys.active().x5t);
    const messaging = createS2SAuth(
      base(
        { certificate: partnerCert.certificate, privateKey: partnerCert.privateKey },
        { serviceName: IDS.messaging },
      ),
    );
    const { token } = await messaging.issuer.mint({
      audience: { principalId: IDS.contacts, host: 'contacts.contoso.com', realm: 'contoso.com' },
    });
    await expect(inline.verifier.verify(token)).resolves.toMatchObject({ partner: 'm' });
  });

  it('names the field and the variable of an unset { env }, never a value', () => {
    const error = configErrorOf(() =>
      createS2SAuth(base({ certificate: cert.certificate, privateKey: { env: 'S2S_UNSET_KEY' } }), { env: {} }),
    );
    expect(error.path).toBe('signing.privateKey.env');
    expect(error.message).toBe(
      's2s-oauth config: signing.privateKey.env: the environment variable S2S_UNSET_KEY is not set',
    );
  });

  it('refuses a { pem } that is not a key without printing it', () => {
    const garbage = `${cert.privateKeyPem.slice(0, 200)}broken`;
    const error = configErrorOf(() =>
      createS2SAuth(base({ certificate: cert.certificate, privateKey: { pem: garbage } })),
    );
    expect(error).toMatchObject({
      path: 'signing.privateKey',
      message: 's2s-oauth config: signing.privateKey: not a readable unencrypted PEM private key',
    });
  });

  describe('loadConfig', () => {
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };

    it('replaces ${NAME} with environment variables, after parsing (a value cannot change the document)', () => {
      const file = write(
        'env.json',
        JSON.stringify({
          serviceName: '${SERVICE}',
          hostnames: ['${HOST}'],
          signing: { certificate: '${DIR}/contacts-cert.pem', privateKey: { pem: '${KEY}' } },
        }),
      );
      const config = loadConfig(file, {
        env: { SERVICE: IDS.contacts, HOST: 'contacts.contoso.com', DIR: dir, KEY: cert.privateKeyPem },
      });
      expect(config.hostnames).toEqual(['contacts.contoso.com']);
      expect(createS2SAuth(config).signingKeys.active().x5t).toBeDefined();
      const tricky = loadConfig(file, {
        env: { SERVICE: '", "realm": "evil.com', HOST: 'contacts.contoso.com', DIR: dir, KEY: cert.privateKeyPem },
      });
      expect(tricky.realm).toBe('contoso.com');
      expect(tricky.serviceName).toBe('", "realm": "evil.com');
    });

    it("lists every unset variable at once, by field and variable, never printing the others' values", () => {
      const file = write(
        'unset.json',
        JSON.stringify({
          serviceName: '${SERVICE}',
          hostnames: ['${HOST}'],
          signing: { certificate: '${DIR}/c.pem', privateKey: { pem: '${KEY}' } },
        }),
      );
      const error = configErrorOf(() => loadConfig(file, { env: { SERVICE: IDS.contacts, KEY: cert.privateKeyPem } }));
      expect(error.issues).toEqual([
        { path: 'hostnames[0]', message: 'the environment variable HOST is not set' },
        { path: 'signing.certificate', message: 'the environment variable DIR is not set' },
      ]);
      expect(error.message).toBe(
        's2s-oauth config: 2 problems:\n  - hostnames[0]: the environment variable HOST is not set\n  - signing.certificate: the environment variable DIR is not set',
      );
    });

    it('accepts a UTF-8 byte-order mark', () => {
      const file = write(
        'bom.json',
        `\uFEFF${JSON.stringify(base({ certificate: cert.certificate, privateKey: cert.privateKey }))}`,
      );
      expect(loadConfig(file).serviceName).toBe(IDS.contacts);
    });

    it('names the line and column of a JSON syntax error, and never quotes the text', () => {
      const file = write(
        'broken.json',
        `{\n  "serviceName": "x",\n  "signing": { "privateKey": { "pem": "${cert.privateKeyPem.split('\n')[1]}" } }\n  "hostnames": []\n}`,
      );
      const error = configErrorOf(() => loadConfig(file));
      expect(error.message).toBe(`s2s-oauth config: ${file} is not valid JSON at line 4, column 3`);
    });
  });

  describe('through the CLI', () => {
    it('prints no key when one is put where a path belongs', async () => {
      const file = join(dir, 'cli.json');
      writeFileSync(file, JSON.stringify(base({ certificate: cert.certificate, privateKey: cert.privateKeyPem })));
      for (const argv of [
        ['metadata', '--config', file],
        ['token', 'mint', '--config', file, '--partner', 'x'],
        ['token', 'explain', '--config', file, 'a.b.c'],
      ]) {
        const { code, out, err } = await cli(argv);
        expect(code).toBe(1);
        expect(err).toMatch(/signing\.privateKey: this is PEM text, not a file path/);
        expect(findSecrets(out + err)).toEqual([]);
        expect(err).not.toContain(readFileSync(cert.privateKey, 'utf8').split('\n')[1]);
      }
    });
  });
});

describe('set-ups that can never work fail at start-up, every problem at once', () => {
  const valid = (): Record<string, unknown> => ({
    serviceName: IDS.contacts,
    hostnames: ['contacts.contoso.com'],
    signing: { certificate: 'c.pem', privateKey: 'k.pem' },
  });

  it('lists them all, each naming its field', () => {
    const error = configErrorOf(() =>
      parseConfig({
        ...valid(),
        hostnames: ['https://contacts.contoso.com', 'contacts.contoso.com/api', 'contacts.contoso.com:8443'],
        keySources: { allowInsecureHosts: ['127.0.0.1:8080', 'http://localhost', '::1', '[::1]'] },
        outbound: { allowInsecureHosts: ['127.0.0.1'] },
        partners: [
          {
            name: 'a',
            applicationId: 'x',
            trustLevel: 'Full',
            keySource: { kind: 'jwks', url: 'http://keys.internal/jwks' },
            baseUrls: ['http://a.internal/api', 'http://127.0.0.1:9000/'],
          },
          {
            name: 'b',
            trustLevel: 'Full',
            keySource: { kind: 'metadata', url: 'http://127.0.0.1:8080/metadata/json/1' },
          },
        ],
        authorizationServers: [
          { name: 'cloud', metadataUrl: 'http://login.internal/.well-known/openid-configuration' },
        ],
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual([
      'hostnames[0]',
      'hostnames[1]',
      'keySources.allowInsecureHosts[0]',
      'keySources.allowInsecureHosts[1]',
      'keySources.allowInsecureHosts[2]',
      'partners[0].keySource.url',
      'partners[0].baseUrls[0]',
      'partners[1].keySource.url',
      'authorizationServers[0].metadataUrl',
    ]);
    expect(error.issues[2]!.message).toMatch(/without a port/);
    expect(error.issues[4]!.message).toMatch(/in brackets/);
    expect(error.issues[5]!.message).toBe(
      'plain http to keys.internal is refused unless "keys.internal" is listed in keySources.allowInsecureHosts (use https)',
    );
    expect(error.message).toMatch(/^s2s-oauth config: 9 problems:\n {2}- hostnames\[0\]: /);
  });

  it("refuses two partners whose base URLs overlap (a call there could carry either partner's token), at start-up and at run time", () => {
    const partners = [
      { name: 'mail', applicationId: 'a', trustLevel: 'Full', baseUrls: ['https://mail.contoso.com/api'] },
      { name: 'archive', applicationId: 'b', trustLevel: 'Full', baseUrls: ['https://mail.contoso.com/api/archive'] },
    ];
    const error = configErrorOf(() => parseConfig({ ...valid(), partners }));
    expect(error.issues).toEqual([
      {
        path: 'partners[1].baseUrls',
        message:
          'https://mail.contoso.com/api/archive overlaps https://mail.contoso.com/api of partner "mail": a call there could go to either partner with the other\'s token',
      },
    ]);
    // Siblings do not overlap: /api and /apix, or other origins.
    expect(() =>
      parseConfig({
        ...valid(),
        partners: [
          partners[0],
          { ...partners[1], baseUrls: ['https://mail.contoso.com/apix', 'https://mail.contoso.com:8443/api'] },
        ],
      }),
    ).not.toThrow();
  });

  it('lists every schema problem at once too', () => {
    const error = configErrorOf(() =>
      parseConfig({
        ...valid(),
        serviceName: '',
        tokens: { lifetimeSeconds: 0 },
        partners: [{ name: 'a', trustLevel: 'Root' }],
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual([
      'serviceName',
      'tokens.lifetimeSeconds',
      'partners[0].trustLevel',
    ]);
  });

  it.each([
    ['example.co.uk', 'example.co.uk'],
    ['contacts.example.co.uk', 'example.co.uk'],
    ['mail.eu.contoso.com', 'eu.contoso.com'],
    ['contacts.contoso.com', 'contoso.com'],
    ['co.uk', undefined],
  ])('never derives a public suffix as the default realm: %s -> %s', (host, realm) => {
    expect(defaultRealmFor(host)).toBe(realm);
  });

  it('asks for a realm when none can be derived', () => {
    expect(configErrorOf(() => parseConfig({ ...valid(), hostnames: ['co.uk'] })).path).toBe('realm');
  });
});
