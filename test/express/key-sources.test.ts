import request from 'supertest';
import type express from 'express';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { PartnerConfigInput } from '../../src/core/config/config-schema';
import type { VerificationEvent } from '../../src/core/tokens/token-verifier';
import { fetchJsonDocument } from '../../src/core/partners/fetch-document';
import { IDS } from '../helpers/certificates';
import { onlyDecisions } from '../helpers/events';
import { CONTACTS_AUDIENCE, protectedApp } from '../helpers/partners';
import { manualClock, serviceConfig, signingKeyOf } from '../helpers/service';
import { KeyServer } from '../helpers/key-server';
import { craftToken } from '../helpers/tokens';

const KEY_SOURCES = {
  allowInsecureHosts: ['127.0.0.1'],
  ttlSeconds: 600,
  refreshCooldownSeconds: 30,
  staleIfErrorSeconds: 3600,
  timeoutMs: 300,
  maxResponseBytes: 64 * 1024,
};

describe.each(['passport', 'middleware'] as const)('partner key sources on a real loopback server (%s)', (mode) => {
  const server = new KeyServer();
  let clock = manualClock(Date.now());
  let messaging: S2SAuth;
  let contacts: S2SAuth;
  let app: express.Express;
  let events: VerificationEvent[];

  beforeAll(async () => {
    await server.start();
    // Minting follows the test clock too, so moving time moves both sides.
    messaging = createS2SAuth(await serviceConfig('messaging'), { clock: () => clock() });
  });
  afterAll(() => server.stop());

  async function setUp(
    keySource: PartnerConfigInput['keySource'],
    partner: Partial<PartnerConfigInput> = {},
    keySources = KEY_SOURCES,
  ) {
    clock = manualClock(Date.now()); // messaging mints with the real clock
    events = [];
    server.mode = 'ok';
    server.requests = 0;
    server.document = messaging.jwks();
    contacts = createS2SAuth(
      await serviceConfig('contacts', {
        keySources,
        partners: [
          {
            name: 'messaging',
            applicationId: IDS.messaging,
            realm: 'contoso.com',
            trustLevel: 'Full',
            keySource,
            ...partner,
          },
        ],
      }),
      { clock, onEvent: onlyDecisions(events) },
    );
    app = protectedApp(contacts, mode);
  }
  const mint = (from = messaging) => from.issuer.mint({ audience: CONTACTS_AUDIENCE }).then((m) => m.token);
  const call = (token: string) => request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
  const lastCode = () => events.filter((e) => e.type === 'rejected').at(-1)?.code;

  it('accepts with keys from a JWKS URL, fetching once for many concurrent first requests (single flight)', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    const token = await mint();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mint()));
    const results = await Promise.all([token, ...tokens].map((t) => call(t)));
    expect(results.map((r) => r.status)).toEqual(Array(21).fill(200));
    expect(server.requests).toBe(1);
  });

  it('reads id, realm and keys from a metadata document URL', async () => {
    await setUp(
      { kind: 'metadata', url: server.url('/metadata/json/1') },
      { applicationId: undefined, realm: undefined },
    );
    server.document = messaging.metadataDocument();
    const res = await call(await mint()).expect(200);
    expect(res.body).toMatchObject({ partner: 'messaging', applicationId: IDS.messaging, realm: 'contoso.com' });
  });

  it('reads SharePoint-style metadata (keyValue, "Signing", no keyinfo, realm only in issuer)', async () => {
    await setUp(
      { kind: 'metadata', url: server.url('/metadata/json/1') },
      { applicationId: undefined, realm: undefined },
    );
    const doc = messaging.metadataDocument();
    server.document = {
      serviceName: doc.serviceName,
      issuer: doc.issuer,
      keys: doc.keys.map((k) => ({ usage: 'Signing', keyValue: { type: 'x509certificate', value: k.keyvalue.value } })),
    };
    await call(await mint()).expect(200);
  });

  it('does not fetch a JWKS to learn a realm it cannot contain (realm left unconfigured)', async () => {
    await setUp({ kind: 'jwks', url: server.url() }, { realm: undefined });
    server.mode = 'down';
    const key = signingKeyOf(messaging);
    const now = Math.floor(clock() / 1000);
    const stranger = `${IDS.messaging}@contoso.com`;
    const res = await call(
      craftToken(
        { alg: 'RS256' },
        {
          aud: `${IDS.contacts}/contacts.contoso.com@contoso.com`,
          iss: stranger,
          nameid: stranger,
          nbf: now,
          exp: now + 60,
        },
        key,
      ),
    );
    expect(res.status).toBe(401);
    expect(lastCode()).toBe('unknown_partner');
    expect(server.requests).toBe(0);
  });

  it('picks up a rotated key: an unknown kid triggers one refresh', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    await call(await mint()).expect(200);
    const rotated = createS2SAuth(await serviceConfig('messaging'), { clock: () => clock() });
    server.document = rotated.jwks();
    clock.advance(31_000); // past the cooldown that follows every fetch
    await call(await mint(rotated)).expect(200);
    expect(server.requests).toBe(2);
    await call(await mint(rotated)).expect(200);
    expect(server.requests).toBe(2);
  });

  it("answers 503 key_source_unavailable, not 401, to a token with a key it does not know while the source cannot answer (it may be the partner's new key), and accepts it once the source is back", async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    await call(await mint()).expect(200);
    const rotated = createS2SAuth(await serviceConfig('messaging'), { clock: () => clock() });
    server.document = rotated.jwks();
    server.mode = 'down';
    clock.advance(31_000); // past the cooldown: the unknown key triggers a refresh, which fails
    const res = await call(await mint(rotated));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('key_source_unavailable');
    expect(res.headers['www-authenticate']).toBeUndefined();
    await call(await mint()).expect(200); // the cached keys still serve the tokens they know
    server.mode = 'ok';
    clock.advance(31_000);
    await call(await mint(rotated)).expect(200);
  });

  it('rate-limits refreshes caused by unknown key ids', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    await call(await mint()).expect(200);
    clock.advance(31_000); // past the cooldown that follows the first fetch
    const key = signingKeyOf(messaging);
    const now = Math.floor(clock() / 1000);
    const forged = (kid: string) =>
      craftToken(
        { alg: 'RS256', kid },
        {
          aud: `${IDS.contacts}/contacts.contoso.com@contoso.com`,
          iss: `${IDS.messaging}@contoso.com`,
          nbf: now,
          exp: now + 60,
        },
        key,
      );
    for (let i = 0; i < 25; i++) {
      const res = await call(forged(`random-${i}`));
      expect(res.status).toBe(401);
      expect(lastCode()).toBe('key_not_found');
    }
    expect(server.requests).toBe(2); // the first fetch and one refresh; the cooldown holds the rest
    clock.advance(31_000);
    await call(forged('after-cooldown')).expect(401);
    expect(server.requests).toBe(3);
  });

  it('keeps accepting with cached keys while the source is down (stale-if-error), then answers 503', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    await call(await mint()).expect(200);
    server.mode = 'down';
    clock.advance(601_000); // past the TTL: a refresh is attempted and fails
    await call(await mint()).expect(200);
    expect(server.requests).toBe(2);
    clock.advance(3600_000); // past TTL + stale window
    const res = await call(await mint());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body.code).toBe('key_source_unavailable');
    expect(lastCode()).toBe('key_source_unavailable');
  });

  it('answers 503 (not 401) when the source is down and nothing is cached, and does not refetch within the cooldown', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    server.mode = 'down';
    for (let i = 0; i < 3; i++) {
      const res = await call(await mint());
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('key_source_unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(server.requests).toBe(1);
    server.mode = 'ok';
    clock.advance(31_000);
    await call(await mint()).expect(200);
  });

  it('answers 503 when the source is too slow (timeout)', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    server.mode = 'slow';
    const res = await call(await mint());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('key_source_unavailable');
  });

  it('rejects an oversized document', async () => {
    await setUp({ kind: 'jwks', url: server.url() });
    server.mode = 'huge';
    const res = await call(await mint());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('key_source_unavailable');
    const explained = await contacts.verifier.explain(await mint());
    expect(explained.error?.code).toBe('key_source_unavailable');
    expect((explained.error?.cause as Error).message).toMatch(/over the 65536-byte limit/);
  });

  it('refuses plain http to a host not explicitly allowed at start-up (and at partners.add), naming the field, without asking the server', async () => {
    server.requests = 0;
    const start = setUp({ kind: 'jwks', url: server.url() }, {}, { ...KEY_SOURCES, allowInsecureHosts: [] });
    await expect(start).rejects.toMatchObject({ name: 'ConfigError', path: 'partners[0].keySource.url' });
    await setUp({ kind: 'certificate', certificates: [messaging.config.signing.certificate] });
    expect(() =>
      contacts.partners.add({
        name: 'other',
        applicationId: IDS.other,
        realm: 'contoso.com',
        trustLevel: 'Full',
        keySource: { kind: 'jwks', url: 'http://10.0.0.1/keys' },
      }),
    ).toThrow(
      expect.objectContaining({
        path: 'keySource.url',
        message: expect.stringMatching(/plain http to 10\.0\.0\.1 is refused/),
      }),
    );
    expect(server.requests).toBe(0);
  });
});

describe('fetching key documents', () => {
  const server = new KeyServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  const limits = { timeoutMs: 500, maxResponseBytes: 64 * 1024, allowInsecureHosts: ['127.0.0.1'] };

  it('refuses plain http to a host not explicitly allowed, with the reason insecure_url', async () => {
    server.requests = 0;
    await expect(fetchJsonDocument(server.url(), { ...limits, allowInsecureHosts: [] })).rejects.toMatchObject({
      name: 'KeySourceError',
      reason: 'insecure_url',
    });
    expect(server.requests).toBe(0);
  });

  it('follows a redirect within the same origin', async () => {
    server.mode = 'redirect-same';
    server.document = { keys: ['same'] };
    await expect(fetchJsonDocument(server.url('/keys'), limits)).resolves.toEqual({ keys: ['same'] });
  });

  it('refuses a redirect to another host', async () => {
    server.mode = 'redirect-other';
    await expect(fetchJsonDocument(server.url('/keys'), limits)).rejects.toThrow(
      /redirects to another origin \(http:\/\/localhost:\d+\); refused/,
    );
  });

  it('names the limit an oversized document broke, with or without content-length', async () => {
    server.mode = 'huge';
    await expect(fetchJsonDocument(server.url(), limits)).rejects.toThrow(/over the 65536-byte limit/);
    server.mode = 'ok';
    server.document = { pad: 'x'.repeat(70 * 1024) };
    await expect(fetchJsonDocument(server.url(), limits)).rejects.toThrow(/is \d+ bytes, over the 65536-byte limit/);
  });

  it('times out a slow source', async () => {
    server.mode = 'slow';
    await expect(fetchJsonDocument(server.url(), { ...limits, timeoutMs: 200 })).rejects.toThrow(
      /timed out after 200 ms/,
    );
  });

  it('refuses http unless the host is allowed', async () => {
    await expect(fetchJsonDocument(server.url(), { ...limits, allowInsecureHosts: [] })).rejects.toThrow(
      /only https is allowed/,
    );
  });
});
