import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../src/s2s-auth';
import { createOAuthCertificate } from '../../src/core/certificates/create-certificate';
import { IDS, tempDir } from '../helpers/certificates';
import { serviceConfig } from '../helpers/service';

/*
 * A running service (a real process) whose certificate and key files are replaced in place, the
 * way cert-manager and ACME clients do it: a new file renamed over the old one, the certificate
 * first and the key a moment later (a torn write). A partner that read the metadata before the
 * change keeps verifying every token, and no token is ever signed with a key that does not match
 * a published certificate.
 */

const x5tOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).x5t as string;
const replace = (file: string, text: string) => {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
};

describe('signing files replaced under a running service', () => {
  let child: ChildProcess;
  let base: string;
  afterAll(() => child?.kill('SIGTERM'));

  it('publishes the new pair within seconds, keeps signing with the old key until the lead time, never uses a torn pair', async () => {
    const dir = tempDir('s2s-rotate-');
    const first = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    const certificate = join(dir, 'tls.crt');
    const privateKey = join(dir, 'tls.key');
    writeFileSync(certificate, first.certificatePem);
    writeFileSync(privateKey, first.privateKeyPem, { mode: 0o600 });
    const audience = { principalId: IDS.messaging, host: 'im.contoso.com', realm: 'contoso.com' };
    const config = {
      serviceName: IDS.contacts,
      realm: 'contoso.com',
      hostnames: ['127.0.0.1'],
      signing: { certificate, privateKey },
    };
    child = spawn(
      process.execPath,
      [
        join(__dirname, '..', 'helpers', 'signing-service.js'),
        JSON.stringify({ config, leadTimeSeconds: 3, audience }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      child.stdout!.once('data', (d) => resolve(JSON.parse(d.toString())));
      child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
    });
    base = `http://127.0.0.1:${port}`;

    // The partner (im) trusts mail by its metadata URL and reads it now, before any change.
    const im = createS2SAuth(
      await serviceConfig('messaging', {
        hostnames: ['im.contoso.com'],
        keySources: { allowInsecureHosts: ['127.0.0.1'], refreshCooldownSeconds: 0 },
        partners: [
          { name: 'mail', trustLevel: 'Full', keySource: { kind: 'metadata', url: `${base}/metadata/json/1` } },
        ],
      }),
    );
    const published = async () =>
      (
        (await (await fetch(`${base}/metadata/json/1`)).json()) as { keys: Array<{ keyinfo: { x5t: string } }> }
      ).keys.map((k) => k.keyinfo.x5t);
    const mintAndVerify = async () => {
      const { token } = (await (await fetch(`${base}/mint`)).json()) as { token: string };
      const keys = await published();
      // Signed with a key whose certificate is published, and accepted by the partner: no request fails.
      expect(keys).toContain(x5tOf(token));
      await expect(im.verifier.verify(token)).resolves.toMatchObject({ partner: 'mail' });
      return x5tOf(token);
    };
    const oldX5t = await mintAndVerify();
    expect(await published()).toEqual([oldX5t]);

    // A torn write: the new certificate lands first, its key a second later.
    const second = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    replace(certificate, second.certificatePem);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await mintAndVerify()).toBe(oldX5t);
    expect(await published()).toEqual([oldX5t]);
    const refused = (await (await fetch(`${base}/events`)).json()) as Array<{
      outcome: string;
      issues?: Array<{ path: string }>;
    }>;
    expect(refused.some((e) => e.outcome === 'refused' && e.issues?.[0]?.path === 'signing.privateKey')).toBe(true);
    replace(privateKey, second.privateKeyPem);

    // Published within seconds, the old key still signing; then, after the lead time, the new one.
    const deadline = Date.now() + 5000;
    while ((await published()).length < 2) {
      if (Date.now() > deadline) throw new Error('the new certificate was not published within 5 s');
      expect(await mintAndVerify()).toBe(oldX5t);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [active, next] = await published();
    expect(active).toBe(oldX5t);
    expect(await mintAndVerify()).toBe(oldX5t);
    const switchBy = Date.now() + 6000;
    let x5t = oldX5t;
    while (x5t === oldX5t) {
      if (Date.now() > switchBy) throw new Error('the new key did not start signing after the lead time');
      x5t = await mintAndVerify();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(x5t).toBe(next);
    // The previous certificate stays published until it expires.
    expect(await published()).toEqual([next, oldX5t]);
  }, 30_000);
});
