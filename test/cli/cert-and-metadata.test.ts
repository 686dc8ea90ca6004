import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { IDS, tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';

/** The certificate's SHA-1 fingerprint as openssl reports it, hex without colons. */
function opensslSha1(file: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', file]).toString();
  return out.split('=')[1]!.trim().replace(/:/g, '');
}

describe('s2s-oauth cert new + metadata', () => {
  const dir = tempDir('s2s-cli-');
  const config = join(dir, 's2s.json');

  beforeAll(async () => {
    const made = await cli([
      'cert',
      'new',
      '--realm',
      'contoso.com',
      '--name',
      'mail',
      '--san',
      'fabrikam.com',
      '--out',
      join(dir, 'certs'),
    ]);
    expect(made.code).toBe(0);
    writeFileSync(
      config,
      JSON.stringify({
        serviceName: IDS.contacts,
        hostnames: ['mail.contoso.com'],
        signing: { certificate: 'certs/oauth-cert.pem', privateKey: 'certs/oauth-key.pem' },
        partners: [
          {
            name: 'im',
            applicationId: IDS.messaging,
            realm: 'contoso.com',
            trustLevel: 'Full',
            baseUrls: ['https://im.contoso.com'],
          },
        ],
      }),
    );
  });

  it('writes the certificate and a private key readable only by its owner', () => {
    expect(readFileSync(join(dir, 'certs/oauth-cert.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(statSync(join(dir, 'certs/oauth-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('publishes an x5t equal to the SHA-1 fingerprint openssl reports, in base64url', async () => {
    const { code, out } = await cli(['metadata', '--config', config]);
    expect(code).toBe(0);
    const document = JSON.parse(out);
    const fingerprint = opensslSha1(join(dir, 'certs/oauth-cert.pem'));
    const x5t = Buffer.from(fingerprint, 'hex').toString('base64url');
    expect(document.keys[0].keyinfo.x5t).toBe(x5t);
    expect(document.realm).toBe('contoso.com');
    expect(document.allowedAudiences).toEqual([`${IDS.contacts}@contoso.com`, `${IDS.contacts}@fabrikam.com`]);
    expect(document.endpoints[0].location).toBe('https://mail.contoso.com/metadata/json/1');
  });

  it('prints the thumbprints when it creates a certificate', async () => {
    const { out } = await cli([
      'cert',
      'new',
      '--realm',
      'contoso.com',
      '--name',
      'x',
      '--out',
      join(dir, 'other'),
      '--key-type',
      'ec',
    ]);
    const fingerprint = opensslSha1(join(dir, 'other/oauth-cert.pem'));
    expect(out).toContain(`sha1         ${fingerprint}`);
    expect(out).toMatch(/x5t {10}[A-Za-z0-9_-]{27}\n/);
    expect(out).toContain('algorithm    ES256');
  });

  it('mints a token that verifies against the published JWKS', async () => {
    const minted = await cli(['token', 'mint', '--config', config, '--partner', 'im', '--user', 'alice@contoso.com']);
    expect(minted.code).toBe(0);
    const jwks = JSON.parse((await cli(['metadata', '--config', config, '--jwks'])).out) as JSONWebKeySet;
    const { payload } = await jwtVerify(minted.out.trim(), createLocalJWKSet(jwks), { algorithms: ['RS256'] });
    expect(payload).toMatchObject({
      aud: `${IDS.messaging}/im.contoso.com@contoso.com`,
      upn: 'alice@contoso.com',
      iss: `${IDS.contacts}@contoso.com`,
    });
    expect(decodeJwt(minted.out.trim()).act).toEqual({ nameid: `${IDS.contacts}@contoso.com` });
  });

  it.each([
    [['cert', 'new', '--name', 'x', '--out', '/tmp/x'], 2, /--realm is required/],
    [
      ['cert', 'new', '--realm', 'r', '--name', 'x', '--out', '/tmp/x', '--key-type', 'dsa'],
      2,
      /--key-type must be rsa or ec/,
    ],
    [
      ['cert', 'new', '--realm', 'r', '--name', 'x', '--out', '/tmp/x', '--days', '0'],
      2,
      /--days must be a whole number/,
    ],
    [['cert', 'new', '--wat'], 2, /Unknown option '--wat'/],
    [['metadata'], 2, /--config is required/],
    [['metadata', '--config', '/nonexistent.json'], 1, /cannot read configuration file \/nonexistent\.json/],
    [['token', 'mint', '--config', 'CONFIG'], 2, /--partner is required/],
    [['token', 'mint', '--config', 'CONFIG', '--partner', 'nobody'], 2, /no partner named "nobody" \(known: im\)/],
    [['certs', 'old'], 2, /unknown command "certs old"/],
  ])('exits non-zero naming the problem: %j', async (argv, code, message) => {
    const result = await cli((argv as string[]).map((a) => (a === 'CONFIG' ? config : a)));
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message as RegExp);
  });

  it('refuses to overwrite an existing certificate without --force', async () => {
    const again = await cli(['cert', 'new', '--realm', 'contoso.com', '--name', 'mail', '--out', join(dir, 'certs')]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists \(use --force/);
  });

  it.each([['cert', 'new'], ['metadata'], ['token', 'mint']])('has --help for %s %s', async (...command) => {
    const { code, out } = await cli([...command.filter(Boolean), '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: s2s-oauth ${command.filter(Boolean).join(' ')}`));
  });

  it('prints an overview for --help', async () => {
    const { code, out } = await cli(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/cert new[\s\S]*metadata[\s\S]*token mint/);
  });
});
