import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { createS2SAuth } from '../../src/s2s-auth';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-input';
import type { S2SEvent } from '../../src/core/events';
import { createTestPartner, createTestService, type TestPartner } from '../../src/testing';
import { tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { listen, portOf } from '../helpers/listen';

/*
 * What a hostile or careless partner supplies (its metadata's realm and serviceName, its
 * redirects, the URLs we were given for it) must not reach a terminal raw, carry our token to
 * another host, or print credentials.
 */
const ESC = '\u001b';

describe('s2s-oauth check and the fetch wrapper against a hostile partner', () => {
  const dir = tempDir('s2s-hostile-');
  const configFile = join(dir, 's2s.json');
  let mail: S2SConfigInput;
  let evil: TestPartner;
  let partnerServer: Server;
  let elsewhere: Server;
  let partnerUrl: string;
  let elsewhereUrl: string;
  const elsewhereRequests: Array<{ url: string; authorization?: string }> = [];
  const partnerRequests: Array<{ url: string; method: string; authorization?: string; body: string }> = [];

  beforeAll(async () => {
    evil = await createTestPartner({ name: 'evil', trustLevel: 'Full', keyType: 'ec' });
    const metadata = createS2SAuth(evil.serviceConfig).metadataDocument();
    const other = express();
    other.use((req, res) => {
      elsewhereRequests.push({ url: req.url, ...(req.headers.authorization && { authorization: 'sent' }) });
      res.status(200).json({ ok: true });
    });
    elsewhere = await listen(other);
    // Another origin: another host name for the same loopback, not on our allow-list.
    elsewhereUrl = `http://localhost:${portOf(elsewhere)}`;
    const app = express();
    app.use(express.text({ type: '*/*' }));
    app.use((req, _res, next) => {
      partnerRequests.push({
        url: req.url,
        method: req.method,
        ...(req.headers.authorization && { authorization: 'sent' }),
        body: typeof req.body === 'string' ? req.body : '',
      });
      next();
    });
    app.get('/metadata/json/1', (_req, res) =>
      res.json({
        ...metadata,
        realm: `${ESC}[2K${ESC}[1G${ESC}[32mPASS  everything is fine`,
        serviceName: `x${ESC}[0m`,
      }),
    );
    app.get('/away', (_req, res) => res.redirect(302, `${elsewhereUrl}/stolen`));
    app.get('/here', (_req, res) => res.redirect(302, '/landing'));
    app.get('/landing', (req, res) => res.status(req.headers.authorization ? 200 : 401).json({ landed: true }));
    app.post('/submit', (_req, res) => res.redirect(303, '/done'));
    app.get('/done', (req, res) => res.json({ method: req.method }));
    app.post('/keep', (_req, res) => res.redirect(307, '/kept'));
    app.post('/kept', (req, res) => res.json({ body: req.body }));
    partnerServer = await listen(app);
    partnerUrl = `http://127.0.0.1:${portOf(partnerServer)}`;
    mail = await createTestService({}, { allowLoopbackHttp: true });
  });
  afterAll(() => {
    partnerServer.close();
    elsewhere.close();
  });
  beforeEach(() => {
    elsewhereRequests.length = 0;
    partnerRequests.length = 0;
  });

  const byCertificate = (extra: Partial<PartnerConfigInput> = {}): PartnerConfigInput => ({
    ...evil.partnerConfig,
    baseUrls: [partnerUrl],
    ...extra,
  });

  it('metadata whose realm or serviceName is not an identifier (an ESC sequence forging a PASS) is refused as a bad document; no output carries an escape', async () => {
    writeFileSync(
      configFile,
      JSON.stringify({
        ...mail,
        partners: [
          { name: 'evil', trustLevel: 'Full', keySource: { kind: 'metadata', url: `${partnerUrl}/metadata/json/1` } },
        ],
      }),
    );
    for (const args of [[], ['--json']]) {
      const { code, out, err } = await cli(['check', '--config', configFile, ...args]);
      expect(code).toBe(1);
      expect(out + err).not.toContain(ESC);
      expect(out).not.toContain('everything is fine');
      if (args.length === 0)
        expect(out).toMatch(
          /^FAIL {2}partner evil {2}keys: .*metadata document's (realm|serviceName) is not an identifier/m,
        );
    }
  });

  it('a redirect to another origin is not followed: redirect_refused, the other host never hears of it, and check FAILs instead of PASSing', async () => {
    const events: S2SEvent[] = [];
    const s2s = createS2SAuth({ ...mail, partners: [byCertificate()] }, { onEvent: (e) => events.push(e) });
    await expect(s2s.fetch()(`${partnerUrl}/away`)).rejects.toMatchObject({
      name: 'PartnerFetchError',
      code: 'redirect_refused',
    });
    expect(elsewhereRequests).toEqual([]);
    expect(events).toContainEqual({ type: 'outbound', outcome: 'refused', partner: 'evil', code: 'redirect_refused' });

    writeFileSync(configFile, JSON.stringify({ ...mail, partners: [byCertificate({ probePath: '/away' })] }));
    const { code, out } = await cli(['check', '--config', configFile]);
    expect(code).toBe(1);
    expect(out).toMatch(
      /^FAIL {2}partner evil {2}outbound: GET .*\/away: redirect_refused: .*another origin \(http:\/\/localhost:\d+\)/m,
    );
    expect(elsewhereRequests).toEqual([]);
  });

  it('a redirect within the origin is followed with the token (and check says where it went); 303 turns a POST into a GET, 307 resends the body', async () => {
    const s2s = createS2SAuth({ ...mail, partners: [byCertificate()] });
    const call = s2s.fetch();
    const here = await call(`${partnerUrl}/here`);
    expect([here.status, await here.json()]).toEqual([200, { landed: true }]);
    const posted = await call(`${partnerUrl}/submit`, { method: 'POST', body: 'a=1' });
    expect(await posted.json()).toEqual({ method: 'GET' });
    const kept = await call(`${partnerUrl}/keep`, { method: 'POST', body: 'the transcript' });
    expect(await kept.json()).toEqual({ body: 'the transcript' });
    expect(partnerRequests.map((r) => [r.method, r.url, r.authorization])).toEqual([
      ['GET', '/here', 'sent'],
      ['GET', '/landing', 'sent'],
      ['POST', '/submit', 'sent'],
      ['GET', '/done', 'sent'],
      ['POST', '/keep', 'sent'],
      ['POST', '/kept', 'sent'],
    ]);
    // `redirect: 'manual'` is the caller's to handle, as with fetch.
    expect((await call(`${partnerUrl}/away`, { redirect: 'manual' })).status).toBe(302);

    writeFileSync(configFile, JSON.stringify({ ...mail, partners: [byCertificate({ probePath: '/here' })] }));
    const { out } = await cli(['check', '--config', configFile]);
    expect(out).toMatch(
      new RegExp(
        `^PASS {2}partner evil {2}outbound: GET ${partnerUrl}/here \\(redirected to /landing\\): 200, it accepts our token`,
        'm',
      ),
    );
  });

  it("key-source URLs are shown without their query values (a signed URL's signature): in errors, events and check's output", async () => {
    const events: S2SEvent[] = [];
    const signedUrl = `${partnerUrl}/missing.json?sig=s3cr3t&v=1`;
    const config = {
      ...mail,
      partners: [{ ...byCertificate(), keySource: { kind: 'jwks' as const, url: signedUrl } }],
    };
    const s2s = createS2SAuth(config, { onEvent: (e) => events.push(e) });
    const error = await s2s.verifier.verify(await evil.mint({ audience: mail })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'key_source_unavailable' });
    const shown = JSON.stringify([events, String(error), String((error as Error).cause)]);
    expect(shown).not.toContain('s3cr3t');
    expect(shown).toContain('/missing.json?sig=REDACTED&v=REDACTED');
    writeFileSync(configFile, JSON.stringify(config));
    const { out } = await cli(['check', '--config', configFile]);
    expect(out).not.toContain('s3cr3t');
    expect(out).toContain('sig=REDACTED');
  });

  it('a URL with a user name or password is refused at start-up, without echoing it', () => {
    const url = `http://admin:hunter2@127.0.0.1:${portOf(partnerServer)}/jwks`;
    let thrown: unknown;
    try {
      createS2SAuth({ ...mail, partners: [{ ...byCertificate(), keySource: { kind: 'jwks', url } }] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ issues: [{ path: 'partners[0].keySource.url' }] });
    expect(
      JSON.stringify({ message: (thrown as Error).message, issues: (thrown as { issues: unknown }).issues }),
    ).not.toContain('hunter2');
  });
});
