import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createS2SAuth } from '../../src/s2s-auth';
import { TokenError } from '../../src/core/errors/token-error';
import { createTestPartner, createTestService, type TestPartner } from '../../src/testing';
import { manualClock } from '../helpers/service';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
const partsOf = (token: string) => token.split('.');

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.code;
}

describe('createTestPartner: tokens in the wire format partners send', () => {
  let partner: TestPartner;
  const audience = { serviceName: '11111111-1111-4111-8111-111111111111', hostnames: ['contacts.contoso.com'] };

  beforeAll(async () => {
    partner = await createTestPartner({ name: 'messaging', trustLevel: 'Full', applicationId: 'aaaa-1', audience });
  });

  it('mints an app-only actor token: the Microsoft header and claims', async () => {
    const [header, payload, signature] = partsOf(await partner.mint());
    expect(decode(header!)).toEqual({ alg: 'RS256', typ: 'JWT', x5t: expect.any(String), kid: expect.any(String) });
    const claims = decode(payload!);
    expect(claims).toEqual({
      aud: '11111111-1111-4111-8111-111111111111/contacts.contoso.com@contoso.com',
      iss: 'aaaa-1@contoso.com',
      nameid: 'aaaa-1@contoso.com',
      trustedfordelegation: false,
      nbf: expect.any(Number),
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
    expect(claims.exp).toBe((claims.nbf as number) + 300);
    expect(signature!.length).toBeGreaterThan(300);
  });

  it('mints a user-context token naming the acting partner; a string user is a upn', async () => {
    const claims = decode(partsOf(await partner.mint({ user: 'alice@contoso.com' }))[1]!);
    expect(claims).toMatchObject({
      upn: 'alice@contoso.com',
      act: { nameid: 'aaaa-1@contoso.com' },
      trustedfordelegation: true,
    });
    const byId = decode(partsOf(await partner.mint({ user: { nameid: 'S-1-5-21', smtp: 'a@contoso.com' } }))[1]!);
    expect(byId).toMatchObject({ nameid: 'S-1-5-21', nii: 'urn:office:idp:activedirectory', smtp: 'a@contoso.com' });
  });

  it('mints the legacy form: an unsigned outer token carrying the signed actor token', async () => {
    const [header, payload, signature] = partsOf(await partner.mint({ user: 'alice@contoso.com', legacy: true }));
    expect(decode(header!)).toEqual({ typ: 'JWT', alg: 'none' });
    expect(signature).toBe('');
    const outer = decode(payload!);
    expect(outer).toMatchObject({ upn: 'alice@contoso.com', iss: 'aaaa-1@contoso.com' });
    expect(decode(partsOf(outer.actortoken as string)[1]!)).toMatchObject({
      trustedfordelegation: true,
      nameid: 'aaaa-1@contoso.com',
    });
  });

  it('dates tokens by its clock: expired, not yet valid, and extra claims over the standard ones', async () => {
    const clock = manualClock(1_900_000_000_000);
    const dated = await createTestPartner({ trustLevel: 'Full', keyType: 'ec', clock, audience });
    const expired = decode(partsOf(await dated.mint({ expiresIn: -60 }))[1]!);
    expect(expired).toMatchObject({ exp: 1_899_999_940, nbf: 1_899_999_640, iat: 1_899_999_640 });
    const early = decode(partsOf(await dated.mint({ notBefore: 600 }))[1]!);
    expect(early).toMatchObject({ nbf: 1_900_000_600, exp: 1_900_000_900, iat: 1_900_000_000 });
    const odd = decode(partsOf(await dated.mint({ claims: { jti: 'fixed', iss: 'someone@else' } }))[1]!);
    expect(odd).toMatchObject({ jti: 'fixed', iss: 'someone@else' });
    expect(decode(partsOf(await dated.mint())[0]!).alg).toBe('ES256');
  });

  it('names the field of a wrong request', async () => {
    const bare = await createTestPartner({ trustLevel: 'Full', keyType: 'ec' });
    await expect(bare.mint()).rejects.toThrow(/^audience: name the service/);
    await expect(bare.mint({ audience: 'x', legacy: true })).rejects.toThrow(/^legacy: .*name a user/);
    await expect(bare.mint({ audience: 'x', user: '' })).rejects.toThrow(/^user\.upn: expected a non-empty string/);
    await expect(bare.mint({ audience: 'x', expiresIn: 1.5 })).rejects.toThrow(/^expiresIn: expected whole seconds/);
    await expect(bare.mint({ audience: { serviceName: 's', hostnames: [] } })).rejects.toThrow(
      /^audience: .*hostnames/,
    );
    expect(await bare.authorization({ audience: 'x' })).toMatch(/^Bearer ey/);
  });
});

describe('createTestService and a real service', () => {
  it('builds a configuration with in-memory keys, keeping what it is given; plain http to loopback only when asked', async () => {
    const given = {
      serviceName: 'svc',
      hostnames: ['mail.eu.contoso.com'],
      keySources: { ttlSeconds: 60, allowInsecureHosts: ['[::1]'] },
    };
    const config = await createTestService(given);
    expect(config).toMatchObject({
      serviceName: 'svc',
      realm: 'eu.contoso.com',
      keySources: { ttlSeconds: 60, allowInsecureHosts: ['[::1]'] },
      signing: { certificate: { pem: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) } },
    });
    expect(config.outbound).toBeUndefined();
    expect(await createTestService(given, { allowLoopbackHttp: true })).toMatchObject({
      keySources: { ttlSeconds: 60, allowInsecureHosts: ['[::1]', '127.0.0.1'] },
      outbound: { allowInsecureHosts: ['127.0.0.1'] },
    });
    expect((await createTestService()).hostnames).toEqual(['127.0.0.1']);
    expect(createS2SAuth(config).realms).toContain('eu.contoso.com');
  });

  it('with NODE_ENV=production, refuses to make services and partners unless told this is a test', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(createTestService()).rejects.toThrow(/NODE_ENV is "production".*allowInProduction/);
      await expect(createTestPartner({ trustLevel: 'Full' })).rejects.toThrow(/createTestPartner is for tests/);
      await expect(createTestService({}, { allowInProduction: true })).resolves.toMatchObject({
        hostnames: ['127.0.0.1'],
      });
      const partner = await createTestPartner({ trustLevel: 'Full', keyType: 'ec', allowInProduction: true });
      expect(partner.partnerConfig).not.toHaveProperty('allowInProduction');
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('a partner with a fixed jti is refused the second time where replays are refused', async () => {
    const partner = await createTestPartner({ trustLevel: 'Full', requireUniqueJti: true, keyType: 'ec' });
    const config = await createTestService({ partners: [partner.partnerConfig] });
    const s2s = createS2SAuth(config);
    const token = await partner.mint({ audience: config, claims: { jti: 'once' } });
    await expect(s2s.verifier.verify(token)).resolves.toMatchObject({ partner: 'test-partner', kind: 'app' });
    const again = await partner.mint({ audience: config, claims: { jti: 'once' } });
    expect(await refusal(s2s.verifier.verify(again))).toBe('token_replayed');
    expect(await refusal(s2s.verifier.verify(await partner.mint({ audience: config, notBefore: 600 })))).toBe(
      'token_not_yet_valid',
    );
  });

  it('serves its metadata until closed; then its keys are unavailable to a service that never fetched them', async () => {
    const partner = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec' });
    const served = await partner.serveMetadata();
    expect(served.partnerConfig).toEqual({
      name: 'im',
      trustLevel: 'Full',
      keySource: { kind: 'metadata', url: served.metadataUrl },
    });
    const jwks = (await (await fetch(served.jwksUrl)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect((await fetch(served.metadataUrl.replace('/metadata/json/1', '/other'))).status).toBe(404);
    const config = await createTestService({ partners: [served.partnerConfig] }, { allowLoopbackHttp: true });
    const s2s = createS2SAuth(config);
    await expect(s2s.verifier.verify(await partner.mint({ audience: config }))).resolves.toMatchObject({
      partner: 'im',
    });
    expect(served.requests).toBe(3);
    await served.close();
    const down = await createTestService(
      { partners: [served.partnerConfig], keySources: { timeoutMs: 500 } },
      { allowLoopbackHttp: true },
    );
    expect(await refusal(createS2SAuth(down).verifier.verify(await partner.mint({ audience: down })))).toBe(
      'key_source_unavailable',
    );
  });

  it('its partner side is a service of its own (serviceConfig)', async () => {
    const partner = await createTestPartner({ trustLevel: 'Application', keyType: 'ec' });
    const side = createS2SAuth(partner.serviceConfig);
    expect(side.issuer.issuer).toBe(`${partner.applicationId}@contoso.com`);
    expect(side.jwks().keys[0]).toMatchObject({ kty: 'EC' });
  });
});

describe("the README's test-kit example", () => {
  it('is the jest example file, line for line (the example runs in npm test)', () => {
    const root = join(__dirname, '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your routes'));
    const block = section.slice(section.indexOf('```ts\n') + 6, section.indexOf('\n```\n'));
    const example = readFileSync(join(root, 'examples', 'testing', 'contacts.test.ts'), 'utf8');
    const shown = block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('// ...'));
    expect(shown.length).toBeGreaterThan(25);
    expect(shown.filter((line) => !example.includes(line))).toEqual([]);
  });
});

describe('the kit under node:test, as the README shows it', () => {
  it('runs examples/testing/contacts.node-test.mjs: every test passes', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--test', join(__dirname, '..', '..', 'examples', 'testing', 'contacts.node-test.mjs')],
      { encoding: 'utf8' },
    );
    expect(stdout).toMatch(/^# pass 7$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  }, 60_000);
});
