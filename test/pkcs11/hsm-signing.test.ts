import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as pkcs11js from 'pkcs11js';
import { createS2SAuth } from '../../src/s2s-auth';
import { loadConfig } from '../../src/core/config/parse-config';
import { createOAuthCertificate } from '../../src/core/certificates/create-certificate';
import { inProcessSigning, type Signer } from '../../src/core/certificates/signer';
import { pkcs11Signer } from '../../src/pkcs11';
import type { S2SConfigInput } from '../../src/core/config/config-input';
import type { S2SEvent } from '../../src/core/events';
import { createPrivateKey } from 'node:crypto';
import { IDS, tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { freePort } from '../helpers/redis-server';
import { inspectForSecrets, treatAsSecret } from '../helpers/secret-scan';
import { SOFTHSM_MODULE, testToken, type TestToken } from '../helpers/softhsm';
import { describeWith } from '../helpers/requirements';

/*
 * Signing keys that exist only inside SoftHSM2 (a real PKCS#11 module): made non-extractable by
 * the CLI, used by real service processes, refused when they do not match, bounded in time when
 * a signer hangs. One file, one token folder: SoftHSM reads its configuration once per process.
 */
describeWith('softhsm2', 'signing keys in an HSM (SoftHSM2 over PKCS#11)', () => {
  const dir = tempDir('s2s-hsm-');
  let token: TestToken;
  const where = () => ({ module: SOFTHSM_MODULE, token: token.label, pin: { env: token.pinEnv } });
  const children: ChildProcess[] = [];

  beforeAll(() => {
    token = testToken();
    treatAsSecret('the HSM PIN', token.pin);
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
  });

  /** `cert new` for a key generated in the token. */
  async function certificateInToken(name: string, key: string, keyType = 'rsa') {
    const out = join(dir, name);
    const result = await cli([
      'cert',
      'new',
      '--realm',
      'contoso.com',
      '--name',
      name,
      '--out',
      out,
      '--key-type',
      keyType,
      '--pkcs11-module',
      SOFTHSM_MODULE,
      '--pkcs11-token',
      token.label,
      '--pkcs11-key',
      key,
      '--pkcs11-pin-env',
      token.pinEnv,
      '--generate',
    ]);
    inspectForSecrets('cert new --pkcs11 (stdout)', result.out);
    return { ...result, certificate: join(out, 'oauth-cert.pem'), keyFile: join(out, 'oauth-key.pem') };
  }

  /** A service configuration signing with `key` in the token. */
  const hsmService = (
    name: keyof typeof IDS,
    certificate: string,
    key: string,
    extra: Partial<S2SConfigInput> = {},
  ) => ({
    serviceName: IDS[name],
    hostnames: [`${name}.contoso.com`],
    signing: { certificate, signer: { kind: 'pkcs11' as const, ...where(), key } },
    ...extra,
  });

  it('cert new --pkcs11 --generate: the key is made in the token, sensitive and not extractable; only the certificate is written', async () => {
    const made = await certificateInToken('messaging', 'messaging-2026');
    expect(made.code).toBe(0);
    expect(existsSync(made.certificate)).toBe(true);
    expect(existsSync(made.keyFile)).toBe(false);
    expect(made.out).toContain('private key  in the token (messaging-2026): never in a file');
    expect(JSON.parse(made.out.slice(made.out.indexOf('{')))).toMatchObject({
      signing: {
        signer: {
          kind: 'pkcs11',
          module: SOFTHSM_MODULE,
          token: token.label,
          key: 'messaging-2026',
          pin: { env: token.pinEnv },
        },
      },
    });

    // Asked of the token itself: the private key cannot be read, by us or anyone.
    const module = new pkcs11js.PKCS11();
    module.load(SOFTHSM_MODULE);
    try {
      module.C_Initialize();
    } catch (e) {
      if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
    }
    const slot = module.C_GetSlotList(true).find((s) => module.C_GetTokenInfo(s).label.trim() === token.label)!;
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      module.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: 'messaging-2026' },
      ]);
      // Not logged in: a private object is not even visible.
      expect(module.C_FindObjects(session, 1)).toHaveLength(0);
      module.C_FindObjectsFinal(session);
      module.C_Login(session, pkcs11js.CKU_USER, token.pin);
      module.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: 'messaging-2026' },
      ]);
      const [key] = module.C_FindObjects(session, 1);
      module.C_FindObjectsFinal(session);
      const [extractable, sensitive] = module.C_GetAttributeValue(session, key!, [
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_SENSITIVE },
      ]);
      expect([extractable!.value[0], sensitive!.value[0]]).toEqual([0, 1]); // CKA_EXTRACTABLE false, CKA_SENSITIVE true
      expect(() => module.C_GetAttributeValue(session, key!, [{ type: pkcs11js.CKA_PRIVATE_EXPONENT }])).toThrow(
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
    } finally {
      module.C_CloseSession(session);
    }
  });

  it('end to end: messaging signs only in SoftHSM2, contacts trusts it by its published metadata; app-only and for alice', async () => {
    const messagingCert = join(dir, 'messaging', 'oauth-cert.pem');
    const contactsCert = await createOAuthCertificate({ realm: 'contoso.com', name: 'contacts' });
    const [messagingPort, contactsPort] = await Promise.all([freePort(), freePort()]);
    const messagingUrl = `http://127.0.0.1:${messagingPort}`;
    const contactsUrl = `http://127.0.0.1:${contactsPort}`;
    const messagingFile = join(dir, 'messaging.json');
    const contactsFile = join(dir, 'contacts.json');
    writeFileSync(
      messagingFile,
      JSON.stringify(
        hsmService('messaging', messagingCert, 'messaging-2026', {
          hostnames: [`127.0.0.1:${messagingPort}`],
          realm: 'contoso.com',
          outbound: { allowInsecureHosts: ['127.0.0.1'] },
          partners: [
            {
              name: 'contacts',
              applicationId: IDS.contacts,
              realm: 'contoso.com',
              trustLevel: 'Full',
              baseUrls: [contactsUrl],
            },
          ],
        }),
      ),
    );
    writeFileSync(
      contactsFile,
      JSON.stringify({
        serviceName: IDS.contacts,
        hostnames: [`127.0.0.1:${contactsPort}`],
        realm: 'contoso.com',
        signing: { certificate: { pem: contactsCert.certificatePem }, privateKey: { pem: contactsCert.privateKeyPem } },
        keySources: { allowInsecureHosts: ['127.0.0.1'] },
        partners: [
          {
            name: 'messaging',
            trustLevel: 'Full',
            keySource: { kind: 'metadata', url: `${messagingUrl}/metadata/json/1` },
          },
        ],
      }),
    );
    await Promise.all([
      start({ configFile: messagingFile, port: messagingPort }, token.env),
      start({ configFile: contactsFile, port: contactsPort }, { ...process.env, [token.pinEnv]: '' }),
    ]);
    const call = async (user?: string) =>
      (
        await fetch(
          `${messagingUrl}/call?url=${encodeURIComponent(`${contactsUrl}/whoami`)}${user ? `&user=${user}` : ''}`,
          {
            method: 'POST',
          },
        )
      ).json();
    expect(await call()).toEqual({ status: 200, body: { partner: 'messaging', kind: 'app' } });
    expect(await call('alice@contoso.com')).toEqual({
      status: 200,
      body: { partner: 'messaging', kind: 'user', user: 'alice@contoso.com' },
    });
    const events = (await (await fetch(`${messagingUrl}/events`)).json()) as S2SEvent[];
    inspectForSecrets('the HSM service events', events);
  }, 60_000);

  function start(options: object, env: NodeJS.ProcessEnv): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(__dirname, '..', 'helpers', 'hsm-service.js'), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => {
        inspectForSecrets('an HSM service process (stderr)', stderr);
        reject(new Error(`service exited with ${code}: ${stderr.slice(0, 500)}`));
      });
    });
  }

  it('a wrong PIN, module, token or key is a ConfigError naming signing.signer at start-up, and the PIN is never printed', async () => {
    const certificate = join(dir, 'messaging', 'oauth-cert.pem');
    const attempts: Array<[Partial<ReturnType<typeof where>> & { key?: string }, RegExp]> = [
      [{ module: '/nonexistent/libpkcs11.so' }, /cannot load the PKCS#11 module/],
      [{ token: 'no-such-token' }, /no token labelled "no-such-token"/],
      [{ key: 'no-such-key' }, /holds no private key "no-such-key"/],
    ];
    for (const [change, message] of attempts) {
      const base = hsmService('messaging', certificate, 'messaging-2026');
      const config: S2SConfigInput = {
        ...base,
        signing: { ...base.signing, signer: { ...base.signing.signer, ...change } as typeof base.signing.signer },
      };
      let thrown: unknown;
      try {
        createS2SAuth(config);
      } catch (e) {
        thrown = e;
      }
      inspectForSecrets('a PKCS#11 configuration error', thrown);
      expect(thrown).toMatchObject({ issues: [{ path: 'signing.signer', message: expect.stringMatching(message) }] });
    }
    const right = process.env[token.pinEnv]!;
    process.env[token.pinEnv] = `${right}-wrong`;
    try {
      const config = join(dir, 'wrong-pin.json');
      writeFileSync(config, JSON.stringify(hsmService('messaging', certificate, 'messaging-2026')));
      const { code, out, err } = await cli(['token', 'mint', '--config', config, '--partner', 'nobody']);
      inspectForSecrets('token mint with a wrong PIN', out + err);
      expect(code).toBe(1);
      expect(err).toMatch(/signing\.signer: cannot log in to token "s2s-test": .*CKR_PIN_INCORRECT/);
      expect(err).not.toContain(right);
    } finally {
      process.env[token.pinEnv] = right;
    }
  });

  it('keeps signing after the module is finalised under it (a restarted HSM): the session is opened again', async () => {
    const hsm = pkcs11Signer({ ...where(), key: 'messaging-2026' });
    const s2s = createS2SAuth(hsmService('messaging', join(dir, 'messaging', 'oauth-cert.pem'), 'messaging-2026'));
    await s2s.ready();
    const audience = { principalId: IDS.contacts, host: 'contacts.contoso.com', realm: 'contoso.com' };
    expect((await s2s.issuer.mint({ audience })).token).toMatch(/^eyJ/);
    // Another handle on the same library finalises it: every session of this process is gone.
    const other = new pkcs11js.PKCS11();
    other.load(SOFTHSM_MODULE);
    other.C_Finalize();
    expect((await s2s.issuer.mint({ audience })).token).toMatch(/^eyJ/);
    expect(await hsm.sign(Buffer.from('after'), 'RS256')).toHaveLength(256);
    hsm.close();
  });

  it('cert rollover schedules a next key generated in the token: its certificate published, no key file anywhere', async () => {
    const file = join(dir, 'rollover.json');
    writeFileSync(
      file,
      JSON.stringify(hsmService('messaging', join(dir, 'messaging', 'oauth-cert.pem'), 'messaging-2026')),
    );
    const { code, out } = await cli([
      'cert',
      'rollover',
      '--config',
      file,
      '--pkcs11-key',
      'messaging-next',
      '--generate',
    ]);
    inspectForSecrets('cert rollover --pkcs11 (stdout)', out);
    expect(code).toBe(0);
    expect(out).toContain('private key       in the token (messaging-next): never in a file');
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.signing.next).toMatchObject({
      signer: { kind: 'pkcs11', token: token.label, key: 'messaging-next', pin: { env: token.pinEnv } },
    });
    expect(written.signing.next).not.toHaveProperty('privateKey');
    const s2s = createS2SAuth(loadConfig(file));
    await s2s.ready();
    expect(s2s.jwks().keys).toHaveLength(2);
  });

  describe('signers that fail', () => {
    let partner: Server;
    let partnerUrl: string;
    let requests = 0;
    beforeAll(async () => {
      partner = createServer((_req, res) => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
      partnerUrl = `http://127.0.0.1:${(partner.address() as { port: number }).port}`;
    });
    afterAll(() => partner.close());

    /** A service whose key is behind `signer` (options.signers), calling `partnerUrl`. */
    async function serviceWith(signer: Signer, certificatePem?: string, timeoutMs = 300) {
      const pem =
        certificatePem ?? (await createOAuthCertificate({ realm: 'contoso.com', name: 'vault' })).certificatePem;
      const events: S2SEvent[] = [];
      const s2s = createS2SAuth(
        {
          serviceName: IDS.messaging,
          hostnames: ['messaging.contoso.com'],
          signing: { certificate: { pem }, signer: { kind: 'external', name: 'vault', timeoutMs } },
          outbound: { allowInsecureHosts: ['127.0.0.1'] },
          partners: [
            {
              name: 'contacts',
              applicationId: IDS.contacts,
              realm: 'contoso.com',
              trustLevel: 'Full',
              baseUrls: [partnerUrl],
            },
          ],
        },
        { signers: { vault: signer }, onEvent: (e) => events.push(e) },
      );
      return { s2s, events };
    }
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => ({ code: 'none', message: '' }),
        (e: { code?: string; name?: string; message: string; path?: string }) => {
          inspectForSecrets('a signer failure', e);
          return { code: e.code ?? e.name ?? '', message: e.message, ...(e.path && { path: e.path }) };
        },
      );

    it('a signer that throws: ready() rejects with a ConfigError naming signing.signer; calls fail with signing_failed, nothing sent', async () => {
      const before = requests;
      const { s2s } = await serviceWith({ sign: () => Promise.reject(new Error('vault unreachable')) });
      expect(await failure(s2s.ready())).toMatchObject({ code: 'ConfigError', path: 'signing.signer' });
      const refused = await failure(s2s.fetch()(`${partnerUrl}/x`));
      expect(refused).toMatchObject({ code: 'signing_failed' });
      expect(refused.message).toMatch(/failed: vault unreachable/);
      expect(requests).toBe(before);
    });

    it('a signer that hangs: the call fails with signing_failed within its timeout, never a hang', async () => {
      const { s2s } = await serviceWith({ sign: () => new Promise<Uint8Array>(() => undefined) }, undefined, 300);
      const started = Date.now();
      const refused = await failure(s2s.fetch()(`${partnerUrl}/x`));
      expect(refused).toMatchObject({ code: 'signing_failed' });
      expect(refused.message).toMatch(/did not answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await failure(s2s.ready())).toMatchObject({ code: 'ConfigError', path: 'signing.signer' });
    });

    it('a signer whose key is not the certificate’s: refused at start-up (ready), and every signature it makes is refused (wrong_signature)', async () => {
      const other = await createOAuthCertificate({ realm: 'contoso.com', name: 'other' });
      const wrongKey = inProcessSigning(createPrivateKey(other.privateKeyPem), 'RS256');
      const { s2s } = await serviceWith({ sign: (input) => wrongKey.sign(Buffer.from(input)) });
      expect(await failure(s2s.ready())).toMatchObject({
        code: 'ConfigError',
        path: 'signing.signer',
        message: expect.stringMatching(/does not match the certificate/),
      });
      expect(await failure(s2s.fetch()(`${partnerUrl}/x`))).toMatchObject({
        code: 'signing_failed',
        message: expect.stringMatching(/signature the certificate's key did not make/),
      });
      // The same with a key in the token and another key's certificate.
      expect((await certificateInToken('scheduler', 'scheduler-2026')).code).toBe(0);
      const mismatched = createS2SAuth(
        hsmService('messaging', join(dir, 'messaging', 'oauth-cert.pem'), 'scheduler-2026'),
      );
      expect(await failure(mismatched.ready())).toMatchObject({
        code: 'ConfigError',
        path: 'signing.signer',
        message: expect.stringMatching(
          /does not match the certificate \(pkcs11 token "s2s-test", key "scheduler-2026"\)/,
        ),
      });
    });

    it('50 concurrent calls to one partner cause exactly one signature in the HSM', async () => {
      const hsm = pkcs11Signer({ ...where(), key: 'messaging-2026' });
      let signatures = 0;
      const counting: Signer = { sign: (input, alg) => (signatures++, hsm.sign(input, alg)) };
      const { s2s } = await serviceWith(counting, readFileSync(join(dir, 'messaging', 'oauth-cert.pem'), 'utf8'), 5000);
      await s2s.ready(); // the start-up probe is one signature
      expect(signatures).toBe(1);
      const call = s2s.fetch();
      const answers = await Promise.all(Array.from({ length: 50 }, () => call(`${partnerUrl}/x`)));
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
      expect(signatures).toBe(2);
      hsm.close();
    });
  });
});
