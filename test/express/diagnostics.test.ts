import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import passport from 'passport';
import request from 'supertest';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { S2SEvent } from '../../src/core/events';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-schema';
import { IDS, tempDir, writeCertificate } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { KeyServer } from '../helpers/key-server';
import { listen, portOf } from '../helpers/listen';
import { CONTACTS_AUDIENCE, trustedPartner } from '../helpers/partners';
import { manualClock, serviceConfig } from '../helpers/service';
import { inspectForSecrets } from '../helpers/secret-scan';

const DAY = 86_400_000;
const recorder = () => {
  const events: S2SEvent[] = [];
  return { events, onEvent: (e: S2SEvent) => (inspectForSecrets(`event ${e.type}`, e), events.push(e)) };
};
const contactsWith = async (
  partners: PartnerConfigInput[],
  extra: Partial<S2SConfigInput> = {},
  options: Parameters<typeof createS2SAuth>[1] = {},
) => createS2SAuth(await serviceConfig('contacts', { partners, ...extra }), options);

describe('a partner certificate out of its validity', () => {
  const dir = tempDir('s2s-expiry-');

  /** A partner whose certificate has the given validity; it signs at `clock` (default: now). */
  async function partnerWithCertificate(notBefore: Date, days: number, clock?: () => number) {
    const cert = await writeCertificate(dir, `m-${notBefore.getTime()}-${days}`, { notBefore, days });
    const signing = { certificate: { pem: cert.certificatePem }, privateKey: { pem: cert.privateKeyPem } };
    const messaging = createS2SAuth(
      { serviceName: IDS.messaging, hostnames: ['messaging.contoso.com'], signing },
      clock ? { clock } : {},
    );
    return {
      cert,
      messaging,
      partner: {
        name: 'messaging',
        applicationId: IDS.messaging,
        realm: 'contoso.com',
        trustLevel: 'Full',
        keySource: { kind: 'certificate', certificates: [cert.certificate] },
      } as PartnerConfigInput,
    };
  }

  it.each([
    ['expired', -40, 30, true, false],
    ['not yet valid', 10, 30, false, true],
  ])(
    'refuses the tokens of a %s certificate as partner_certificate_expired (not key_not_found), in token explain too',
    async (_label, startDays, days, expired, notYetValid) => {
      const clock = manualClock(Date.now());
      const now = clock();
      // Tokens signed while the certificate was valid (for the expired one) or once it is (the other).
      const signedAt = manualClock(now + (startDays + 1) * DAY);
      const { messaging, partner } = await partnerWithCertificate(new Date(now + startDays * DAY), days, signedAt);
      const { events, onEvent } = recorder();
      const contacts = await contactsWith([partner], {}, { clock, onEvent });
      const startup = events.filter((e) => e.type === 'certificate_expiring');
      expect(startup).toEqual([
        expect.objectContaining({ type: 'certificate_expiring', partner: 'messaging', expired, notYetValid }),
      ]);
      const { token } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE });
      await expect(contacts.verifier.verify(token)).rejects.toMatchObject({
        code: 'partner_certificate_expired',
        status: 401,
        partner: 'messaging',
      });
      expect((await contacts.verifier.explain(token)).error?.code).toBe('partner_certificate_expired');

      const config = join(dir, `contacts-${startDays}.json`);
      const contactsConfig = await serviceConfig('contacts', { partners: [partner] });
      writeFileSync(config, JSON.stringify(contactsConfig));
      const explained = await cli(['token', 'explain', '--config', config, token]);
      // Keys are chosen before the time window is read: the certificate is named, not the token's times.
      expect(explained.code).toBe(1);
      expect(explained.out).toMatch(
        /FAIL {2}partner_certificate_expired -> HTTP 401 invalid_token: the certificate of the key that signed this token has expired or is not valid yet/,
      );
    },
  );

  it('warns at start-up of a certificate that expires within 30 days, and not of one that does not', async () => {
    const soon = await partnerWithCertificate(new Date(Date.now() - DAY), 20);
    const later = await partnerWithCertificate(new Date(Date.now() - DAY), 365);
    const { events, onEvent } = recorder();
    await contactsWith([soon.partner, { ...later.partner, name: 'later' }], {}, { onEvent });
    const warnings = events.filter((e) => e.type === 'certificate_expiring');
    expect(warnings).toEqual([
      {
        type: 'certificate_expiring',
        partner: 'messaging',
        x5t: soon.messaging.signingKeys.active().x5t,
        notAfter: expect.any(String),
        daysLeft: 18,
        expired: false,
        notYetValid: false,
      },
    ]);
  });
});

describe('infrastructure failures carry their reason', () => {
  const server = new KeyServer();
  let messaging: S2SAuth;
  beforeAll(async () => {
    await server.start();
    messaging = createS2SAuth(await serviceConfig('messaging'));
  });
  afterAll(() => server.stop());

  const KEY_SOURCES = {
    allowInsecureHosts: ['127.0.0.1'],
    refreshCooldownSeconds: 0,
    timeoutMs: 300,
    maxResponseBytes: 64 * 1024,
    ttlSeconds: 60,
    staleIfErrorSeconds: 600,
  };
  /** contacts, trusting messaging by the JWKS the key server publishes. */
  const contactsTrustingServer = (options: Parameters<typeof createS2SAuth>[1]) =>
    contactsWith(
      [
        {
          name: 'messaging',
          applicationId: IDS.messaging,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'jwks', url: server.url() },
        },
      ],
      { keySources: KEY_SOURCES },
      options,
    );

  it.each([
    ['down', 'http_status'],
    ['slow', 'timeout'],
    ['huge', 'too_large'],
    ['redirect-other', 'redirect'],
    ['not-a-jwks', 'bad_document'],
  ])(
    'a key source that is %s: a key_source event and a 503 whose rejected event name the partner and the reason (%s)',
    async (mode, reason) => {
      server.mode = mode === 'not-a-jwks' ? 'ok' : (mode as KeyServer['mode']);
      server.document = mode === 'not-a-jwks' ? { not: 'keys' } : messaging.jwks();
      const { events, onEvent } = recorder();
      const contacts = await contactsTrustingServer({ onEvent });
      const { token } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE });
      const error = await contacts.verifier.verify(token).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'key_source_unavailable',
        status: 503,
        partner: 'messaging',
        cause: expect.objectContaining({ name: 'KeySourceUnavailable', reason }),
      });
      expect(events).toEqual(
        expect.arrayContaining([
          { type: 'key_source', outcome: 'failed', owner: 'messaging', url: server.url(), reason },
          { type: 'rejected', code: 'key_source_unavailable', status: 503, partner: 'messaging', reason },
        ]),
      );
    },
  );

  it('says when it serves stale keys, and when a fetch succeeds', async () => {
    server.mode = 'ok';
    server.document = messaging.jwks();
    const clock = manualClock(Date.now());
    const { events, onEvent } = recorder();
    const contacts = await contactsTrustingServer({ onEvent, clock });
    const mint = () => messaging.issuer.mint({ audience: CONTACTS_AUDIENCE }).then((m) => m.token);
    await contacts.verifier.verify(await mint());
    server.mode = 'down';
    clock.advance(61_000);
    await contacts.verifier.verify(await mint());
    expect(events.filter((e) => e.type === 'key_source')).toEqual([
      { type: 'key_source', outcome: 'fetched', owner: 'messaging', url: server.url() },
      { type: 'key_source', outcome: 'stale', owner: 'messaging', url: server.url(), reason: 'http_status' },
    ]);
  });

  it('reports outbound mints, refusals, retries and token requests by partner, never with a token', async () => {
    const { events, onEvent } = recorder();
    let answered = 0;
    const partnerApp = express().get('/api/x', (_req, res) => {
      answered++;
      if (answered === 1)
        res.status(401).set('WWW-Authenticate', 'Bearer realm="contoso.com", error="invalid_token"').end();
      else res.json({ ok: true });
    });
    const http = await listen(partnerApp);
    try {
      const base = `http://127.0.0.1:${portOf(http)}`;
      const caller = createS2SAuth(
        await serviceConfig('messaging', {
          outbound: { allowInsecureHosts: ['127.0.0.1'] },
          partners: [
            {
              name: 'contacts',
              applicationId: IDS.contacts,
              realm: 'contoso.com',
              trustLevel: 'Full',
              baseUrls: [`${base}/api`],
            },
          ],
        }),
        { onEvent },
      );
      const call = caller.fetch();
      expect((await call(`${base}/api/x`)).status).toBe(200);
      await expect(call(`${base}/elsewhere`)).rejects.toMatchObject({ code: 'no_partner_for_url' });
      expect(events).toEqual([
        { type: 'outbound', outcome: 'minted', partner: 'contacts', refresh: false },
        { type: 'outbound', outcome: 'retried', partner: 'contacts' },
        // The refused token was dropped before the new mint: a fresh token, not a refresh.
        { type: 'outbound', outcome: 'minted', partner: 'contacts', refresh: false },
        { type: 'outbound', outcome: 'refused', code: 'no_partner_for_url' },
      ]);
    } finally {
      http.close();
    }
  });
});

describe('s2s.errorHandler()', () => {
  let messaging: S2SAuth;
  let contacts: S2SAuth;
  beforeAll(async () => {
    messaging = createS2SAuth(await serviceConfig('messaging'));
    contacts = await contactsWith([
      {
        name: 'messaging',
        applicationId: IDS.messaging,
        realm: 'contoso.com',
        trustLevel: 'Application',
        keySource: { kind: 'certificate', certificates: [messaging.config.signing.certificate] },
      },
    ]);
  });

  const appWith = (mode: 'middleware' | 'passport') => {
    const app = express();
    let authenticate: express.RequestHandler = contacts.middleware();
    if (mode === 'passport') {
      const instance = new passport.Passport().use(contacts.strategy());
      app.use(instance.initialize());
      authenticate = instance.authenticate('s2s', { session: false, failWithError: true });
    }
    app.get('/user', authenticate, contacts.requireUser(), (_req, res) => res.json({ ok: true }));
    app.get('/boom', () => {
      throw new Error('not a refusal');
    });
    app.use(contacts.errorHandler());
    // What the app does with every other error: the handler passed it on.
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
      res.status(500).json({ passedOn: error.message }),
    );
    return app;
  };

  it.each(['middleware', 'passport'] as const)(
    'answers refusals with status, headers and { error, code }, and passes other errors on (%s)',
    async (mode) => {
      const app = appWith(mode);
      const missing = await request(app).get('/user');
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: null, code: 'token_missing' });
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="contoso.com"/);
      const bad = await request(app).get('/user').set('Authorization', 'Bearer a.b.c');
      expect(bad.body).toEqual({ error: 'invalid_token', code: 'token_malformed' });
      const { token } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE });
      const appOnly = await request(app).get('/user').set('Authorization', `Bearer ${token}`);
      expect(appOnly.status).toBe(403);
      expect(appOnly.body).toEqual({ error: 'insufficient_scope', code: 'user_context_required' });
      const boom = await request(app).get('/boom');
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ passedOn: 'not a refusal' });
    },
  );
});

describe('the in-memory replay store at capacity', () => {
  it('fails closed with 503 replay_store_unavailable rather than forget a live token id', async () => {
    const messaging = createS2SAuth(await serviceConfig('messaging'));
    const { events, onEvent } = recorder();
    const contacts = await contactsWith(
      [trustedPartner('messaging', messaging, { requireUniqueJti: true })],
      { replayCache: { maxEntries: 2 } },
      { onEvent },
    );
    const mint = () => messaging.issuer.mint({ audience: CONTACTS_AUDIENCE }).then((m) => m.token);
    const first = await mint();
    await contacts.verifier.verify(first);
    await contacts.verifier.verify(await mint());
    await expect(contacts.verifier.verify(await mint())).rejects.toMatchObject({
      code: 'replay_store_unavailable',
      status: 503,
      headers: { 'Retry-After': '1' },
    });
    await expect(contacts.verifier.verify(first)).rejects.toMatchObject({ code: 'token_replayed' });
    expect(events.filter((e) => e.type === 'rejected')).toEqual([
      { type: 'rejected', code: 'replay_store_unavailable', status: 503, partner: 'messaging', reason: 'replay_store' },
      { type: 'rejected', code: 'token_replayed', status: 401, partner: 'messaging' },
    ]);
  });
});
