import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { createOAuthCertificate } from '../../src/core/certificates/create-certificate';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-input';
import { createTestPartner, createTestService, type TestPartner } from '../../src/testing';
import { tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { listen, portOf } from '../helpers/listen';
import { freePort } from '../helpers/redis-server';

/*
 * `s2s-oauth check` against real loopback services: mail (the configuration checked) publishes
 * its metadata; im trusts mail and is trusted by it; crm does not know mail; fax's key source is
 * down; pager's certificate expires within 30 days.
 */
interface Running {
  url: string;
  s2s: S2SAuth;
  server: Server;
}

/** A partner's side as a real service: its metadata, and `/whoami` behind its middleware. */
async function run(partner: TestPartner, trusts: PartnerConfigInput[]): Promise<Running> {
  const s2s = createS2SAuth({ ...partner.serviceConfig, partners: trusts });
  const app = express();
  app.use(s2s.metadataRouter());
  app.get('/whoami', s2s.middleware(), (req, res) => res.json({ partner: req.user!.partner }));
  app.get('/admin', s2s.middleware(), s2s.requirePermission('admin'), (_req, res) => res.end());
  app.use(s2s.errorHandler());
  const server = await listen(app);
  return { url: `http://127.0.0.1:${portOf(server)}`, s2s, server };
}

describe('s2s-oauth check', () => {
  const dir = tempDir('s2s-check-');
  const configFile = join(dir, 's2s.json');
  let mailConfig: S2SConfigInput;
  let mailServer: Server;
  let im: Running;
  let crm: Running;
  let imKit: TestPartner;
  let pager: TestPartner;

  /** Writes mail's configuration with these partners and runs the check. */
  async function checkWith(partners: PartnerConfigInput[], args: string[] = []) {
    writeFileSync(configFile, JSON.stringify({ ...mailConfig, partners }));
    return cli(['check', '--config', configFile, ...args]);
  }

  beforeAll(async () => {
    const mailApp = express();
    mailServer = await listen(mailApp);
    const base = await createTestService(
      { serviceName: '00000002-0000-0ff1-ce00-000000000000' },
      { allowLoopbackHttp: true },
    );
    mailConfig = { ...base, hostnames: [`127.0.0.1:${portOf(mailServer)}`] };
    mailApp.use(createS2SAuth(mailConfig).metadataRouter());
    const mailAsPartner: PartnerConfigInput = {
      name: 'mail',
      applicationId: mailConfig.serviceName,
      realm: 'contoso.com',
      trustLevel: 'Full',
      keySource: { kind: 'certificate', certificates: [mailConfig.signing.certificate] },
    };
    imKit = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec' });
    im = await run(imKit, [mailAsPartner]);
    crm = await run(await createTestPartner({ name: 'crm', trustLevel: 'Full', keyType: 'ec' }), []);
    pager = await createTestPartner({ name: 'pager', trustLevel: 'Application', keyType: 'ec', certificateDays: 10 });
  });

  afterAll(async () => {
    for (const s of [im, crm]) {
      s.server.close();
      await s.s2s.close();
    }
    mailServer.close();
  });

  const imEntry = (extra: Partial<PartnerConfigInput> = {}): PartnerConfigInput => ({
    name: 'im',
    trustLevel: 'Full',
    keySource: { kind: 'metadata', url: `${im.url}/metadata/json/1` },
    baseUrls: [im.url],
    probePath: '/whoami',
    ...extra,
  });

  it('passes where trust works both ways: our certificate and metadata, its keys and identity, a real call', async () => {
    const { code, out } = await checkWith([imEntry()]);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 5).map((l) => /^(\w+)\s+(.+?)\s+(\w+):/.exec(l)!.slice(1).join(' '))).toEqual([
      'PASS signing certificate',
      'PASS metadata published',
      'PASS partner im keys',
      'PASS partner im identity',
      'PASS partner im outbound',
    ]);
    expect(out).toContain(`GET ${im.url}/whoami: 200, it accepts our token`);
    expect(out).toContain(`${imKit.applicationId}@contoso.com, as its metadata says`);
    expect(out).toMatch(/5 passed, 0 warnings, 0 failed\n$/);
    expect(out).not.toMatch(/eyJ/);
  });

  it('a 403 still means the partner trusts us (it refused the call, not the token)', async () => {
    const { code, out } = await checkWith([imEntry({ probePath: '/admin' })], ['--partner', 'im']);
    expect(code).toBe(0);
    expect(out).toMatch(/PASS {2}partner im {2}outbound: GET .*\/admin: 403 insufficient_scope: it accepts our token/);
  });

  it("FAILs where the partner does not know us, with the partner's challenge and what to change", async () => {
    const crmEntry = {
      name: 'crm',
      trustLevel: 'Full' as const,
      keySource: { kind: 'metadata' as const, url: `${crm.url}/metadata/json/1` },
      baseUrls: [crm.url],
      probePath: '/whoami',
    };
    const { code, out } = await checkWith([imEntry(), crmEntry]);
    expect(code).toBe(1);
    const line = out.split('\n').find((l) => l.includes('partner crm') && l.includes('outbound'))!;
    expect(line).toMatch(/^FAIL/);
    expect(line).toContain(`GET ${crm.url}/whoami: 401 error="invalid_token"`);
    expect(line).toMatch(/error_description="[^"]+" realm="contoso.com"/);
    expect(line).toContain(`add ${mailConfig.serviceName}@contoso.com there as a partner application`);
    expect(out).not.toMatch(/eyJ/);
  });

  it('FAILs naming the key source that is down, and the host of a partner that cannot be reached', async () => {
    const fax = await createTestPartner({ name: 'fax', trustLevel: 'Full', keyType: 'ec' });
    const served = await fax.serveMetadata();
    await served.close();
    const deadHost = new URL(served.metadataUrl).host;
    const { code, out } = await checkWith([{ ...served.partnerConfig, baseUrls: [`http://${deadHost}`] }]);
    expect(code).toBe(1);
    expect(out).toMatch(
      new RegExp(
        `^FAIL {2}partner fax {2}keys: ${served.metadataUrl} is unavailable: cannot fetch .*\\(ECONNREFUSED\\)`,
        'm',
      ),
    );
    expect(out).toMatch(
      new RegExp(`^FAIL {2}partner fax {2}outbound: GET http://${deadHost}: not called: .*\\(ECONNREFUSED\\)`, 'm'),
    );
  });

  it('FAILs naming the host of a partner that does not answer (its keys are fine)', async () => {
    const port = await freePort();
    const { code, out } = await checkWith([{ ...pager.partnerConfig, baseUrls: [`http://127.0.0.1:${port}/api`] }]);
    expect(code).toBe(1);
    expect(out).toContain(
      `FAIL  partner pager  outbound: GET http://127.0.0.1:${port}/api: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`,
    );
  });

  it('WARNs when our own certificate expires within 30 days and no next one is scheduled', async () => {
    const soon = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail', keyType: 'ec', days: 20 });
    const file = join(dir, 'soon.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...mailConfig,
        signing: { certificate: { pem: soon.certificatePem }, privateKey: { pem: soon.privateKeyPem } },
      }),
    );
    const { code, out } = await cli(['check', '--config', file, '--metadata-url', `${im.url}/metadata/json/1`]);
    expect(code).toBe(1); // im's metadata is not ours
    expect(out).toMatch(
      /^WARN {2}signing\s+certificate: x5t \S+ signs now, valid until .* \(in 19 days\); schedule the next one: s2s-oauth cert rollover$/m,
    );
  });

  it('WARNs about a partner certificate that expires within 30 days, and exits 0', async () => {
    const { code, out } = await checkWith([pager.partnerConfig], ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      ok: boolean;
      checks: Array<{ status: string; subject: string; check: string; detail: string }>;
    };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.subject === 'partner pager')).toEqual({
      status: 'WARN',
      subject: 'partner pager',
      check: 'keys',
      detail: expect.stringMatching(
        /^1 key from configured certificates: its last certificate expires \d{4}-\d\d-\d\d \(in 9 days\)/,
      ),
    });
  });

  it('FAILs when the metadata we publish is not ours, or is unreachable', async () => {
    const elsewhere = await checkWith([], ['--metadata-url', `${im.url}/metadata/json/1`]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.out).toMatch(/^FAIL {2}metadata {2}published: .* lists none of our certificates/m);
    const down = await checkWith([], ['--metadata-url', 'http://127.0.0.1:9/metadata/json/1']);
    expect(down.out).toMatch(/^FAIL {2}metadata {2}published: cannot fetch http:\/\/127.0.0.1:9\/metadata\/json\/1/m);
  });

  it('a disabled partner is a warning; a metadata identity that disagrees is a failure', async () => {
    const { code, out } = await checkWith([
      { ...pager.partnerConfig, enabled: false },
      imEntry({ applicationId: 'someone-else', baseUrls: [] }),
    ]);
    expect(code).toBe(1);
    expect(out).toMatch(/^WARN {2}partner pager\s+enabled: disabled/m);
    expect(out).toMatch(
      /^FAIL {2}partner im\s+identity: its metadata names applicationId "[^"]+", the configuration says "someone-else"/m,
    );
  });

  it('usage: --config is required, --partner must name a partner', async () => {
    expect((await cli(['check'])).code).toBe(2);
    const unknown = await checkWith([imEntry()], ['--partner', 'nobody']);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining('no partner named "nobody"')]);
    expect((await cli(['check', '--help'])).out).toMatch(/^Usage: s2s-oauth check --config FILE/);
  });
});
