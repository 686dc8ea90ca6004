import type { Server } from 'node:http';
import express from 'express';
import passport from 'passport';
import { decodeJwt } from 'jose';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { PartnerFetchError, type PartnerFetch } from '../../src/client/partner-fetch';
import { IDS } from '../helpers/certificates';
import { listen, portOf } from '../helpers/listen';
import { errorHandler } from '../helpers/partners';
import { manualClock, serviceConfig } from '../helpers/service';

interface Seen {
  authorization: string | undefined;
  jti?: string;
  method: string;
  body?: unknown;
  header?: string;
}

/**
 * contacts (the callee) verifies with the inbound strategy; messaging (the caller) uses the
 * fetch wrapper. Both share one manual clock so tests can move time.
 */
describe('the partner fetch wrapper against a real service on loopback', () => {
  const clock = manualClock(Date.now());
  let contacts: S2SAuth;
  let messaging: S2SAuth;
  let server: Server;
  let otherServer: Server;
  let base: string;
  let seen: Seen[];
  let mints: jest.SpyInstance;
  let call: PartnerFetch;

  beforeAll(async () => {
    contacts = createS2SAuth(
      await serviceConfig('contacts', {
        realm: 'contoso.com',
        hostnames: ['127.0.0.1'],
        partners: [], // added below, once messaging's certificate exists
      }),
      { clock },
    );
    const authenticator = new passport.Passport().use(contacts.strategy());
    const app = express();
    app.use(express.json());
    app.use((req, _res, next) => {
      const authorization = req.headers.authorization;
      const token = authorization?.replace(/^Bearer\s*/i, '');
      let jti: string | undefined;
      try {
        jti = token ? (decodeJwt(token).jti as string | undefined) : undefined;
      } catch {
        jti = undefined;
      }
      seen.push({
        authorization,
        jti,
        method: req.method,
        body: req.body,
        header: req.headers['x-trace'] as string | undefined,
      });
      next();
    });
    app.all('/api/{*rest}', authenticator.authenticate('s2s', { session: false }), (req, res) => {
      res.json({ kind: req.user!.kind, user: req.user!.user?.upn ?? null, body: req.body ?? null });
    });
    app.use(errorHandler);
    server = await listen(app);
    otherServer = await listen(express().use((_req, res) => res.status(200).end('not a partner')));
    base = `http://127.0.0.1:${portOf(server)}`;

    const messagingConfig = await serviceConfig('messaging', {
      realm: 'contoso.com',
      hostnames: ['127.0.0.1'],
      outbound: { allowInsecureHosts: ['127.0.0.1'] },
    });
    messaging = createS2SAuth(messagingConfig, { clock });
    messaging.partners.add({
      name: 'contacts',
      applicationId: IDS.contacts,
      realm: 'contoso.com',
      trustLevel: 'Full',
      baseUrls: [`${base}/api`],
    });
    contacts.partners.add({
      name: 'messaging',
      applicationId: IDS.messaging,
      realm: 'contoso.com',
      trustLevel: 'Full',
      keySource: { kind: 'certificate', certificates: [messagingConfig.signing!.certificate] },
    });
  });
  afterAll(() => {
    server.close();
    otherServer.close();
  });
  beforeEach(() => {
    seen = [];
    mints?.mockRestore();
    mints = jest.spyOn(messaging.issuer, 'mint');
    call = messaging.fetch({ fetch }); // a fresh wrapper (and token cache) per test
    contacts.partners.update('messaging', { enabled: true, requireUniqueJti: false });
  });

  it('makes an app-only call that the partner accepts', async () => {
    const res = await call(`${base}/api/contacts`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ kind: 'app', user: null, body: null });
    expect(mints).toHaveBeenCalledWith(
      expect.objectContaining({
        audience: { principalId: IDS.contacts, host: new URL(base).host, realm: 'contoso.com' },
      }),
    );
  });

  it('makes a call on behalf of a user', async () => {
    const res = await call(`${base}/api/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bob' }),
      actAs: { upn: 'alice@contoso.com' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ kind: 'user', user: 'alice@contoso.com', body: { name: 'bob' } });
  });

  it('mints exactly once for 100 concurrent calls', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => call(`${base}/api/contacts`)));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(mints).toHaveBeenCalledTimes(1);
    expect(new Set(seen.map((s) => s.jti)).size).toBe(1);
  });

  it('keeps tokens apart per user and per audience', async () => {
    await call(`${base}/api/a`, { actAs: { upn: 'alice@contoso.com' } });
    await call(`${base}/api/b`, { actAs: { upn: 'alice@contoso.com' } });
    await call(`${base}/api/c`, { actAs: { upn: 'bob@contoso.com' } });
    await call(`${base}/api/d`);
    expect(mints).toHaveBeenCalledTimes(3);
  });

  it('refreshes a token near expiry, and never sends an expired one', async () => {
    await call(`${base}/api/x`).then((r) => expect(r.status).toBe(200));
    clock.advance(250_000); // inside the refresh window (60 s + up to 15 s jitter before the 300 s expiry)
    await call(`${base}/api/x`).then((r) => expect(r.status).toBe(200));
    await mints.mock.results[1]!.value; // the background refresh has finished
    await call(`${base}/api/x`).then((r) => expect(r.status).toBe(200));
    expect(mints).toHaveBeenCalledTimes(2);
    expect(seen[1]!.jti).toBe(seen[0]!.jti); // still valid: used while the refresh ran
    expect(seen[2]!.jti).not.toBe(seen[0]!.jti);

    clock.advance(400_000); // past the refreshed token's expiry: the caller waits for a new one
    const res = await call(`${base}/api/x`);
    expect(res.status).toBe(200);
    expect(mints).toHaveBeenCalledTimes(3);
  });

  it('retries a 401 invalid_token once with a fresh token (a replayed jti is refused)', async () => {
    contacts.partners.update('messaging', { requireUniqueJti: true });
    expect((await call(`${base}/api/x`)).status).toBe(200);
    const second = await call(`${base}/api/x`, { method: 'PUT', body: 'replayable text' });
    expect(second.status).toBe(200);
    expect(seen).toHaveLength(3);
    expect(seen[1]!.jti).toBe(seen[0]!.jti);
    expect(seen[2]!.jti).not.toBe(seen[0]!.jti);
    expect(mints).toHaveBeenCalledTimes(2);
  });

  it('retries exactly once and does not loop when the partner keeps refusing', async () => {
    contacts.partners.disable('messaging');
    const res = await call(`${base}/api/x`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(seen).toHaveLength(2);
    expect(mints).toHaveBeenCalledTimes(2);
  });

  it('does not retry when the body cannot be replayed', async () => {
    contacts.partners.disable('messaging');
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('stream')), c.close()) });
    const res = await call(`${base}/api/x`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
    expect(seen).toHaveLength(1);
  });

  it('does not retry a 401 that is not invalid_token', async () => {
    const res = await call(`${base}/api/x`, { actAs: { upn: 'mallory@fabrikam.com' } });
    expect(res.status).toBe(403);
    expect(seen).toHaveLength(1);
  });

  it('never sends a token to a URL no partner lists', async () => {
    const other = `http://127.0.0.1:${portOf(otherServer)}/api/x`;
    const injected = jest.fn(fetch);
    const guarded = messaging.fetch({ fetch: injected });
    await expect(guarded(other)).rejects.toMatchObject({ name: 'PartnerFetchError', code: 'no_partner_for_url' });
    await expect(guarded(`${base}/apix`)).rejects.toMatchObject({ code: 'no_partner_for_url' });
    await expect(guarded(`${base}/`)).rejects.toMatchObject({ code: 'no_partner_for_url' });
    await expect(guarded(other, { partner: 'contacts' })).rejects.toMatchObject({
      code: 'url_not_configured_for_partner',
    });
    await expect(guarded(`${base}/api/x`, { partner: 'nobody' })).rejects.toMatchObject({ code: 'unknown_partner' });
    messaging.partners.add({
      name: 'through-nowhere',
      trustLevel: 'Full',
      baseUrls: [`${base}/cloud`],
      outbound: { kind: 'authorization-server', server: 'nowhere' },
    });
    try {
      await expect(guarded(`${base}/cloud/x`)).rejects.toMatchObject({ code: 'unknown_authorization_server' });
    } finally {
      messaging.partners.remove('through-nowhere');
    }
    expect(injected).not.toHaveBeenCalled();
    expect(mints).not.toHaveBeenCalled();
  });

  it('refuses plain http to a host that is not explicitly allowed', async () => {
    messaging.partners.update('contacts', {
      baseUrls: [`${base}/api`, `${base.replace('127.0.0.1', 'localhost')}/api`],
    });
    try {
      await expect(call(`${base.replace('127.0.0.1', 'localhost')}/api/x`)).rejects.toThrow(PartnerFetchError);
      await expect(call(`${base.replace('127.0.0.1', 'localhost')}/api/x`)).rejects.toMatchObject({
        code: 'insecure_url',
      });
      expect(seen).toHaveLength(0);
    } finally {
      messaging.partners.update('contacts', { baseUrls: [`${base}/api`] });
    }
  });

  it('refuses to call a disabled partner', async () => {
    messaging.partners.disable('contacts');
    try {
      await expect(call(`${base}/api/x`)).rejects.toMatchObject({ code: 'partner_disabled' });
    } finally {
      messaging.partners.enable('contacts');
    }
  });

  it('passes AbortSignal, method, headers and body to fetch unchanged', async () => {
    const aborted = call(`${base}/api/x`, { signal: AbortSignal.abort() });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    const res = await call(`${base}/api/x`, {
      method: 'PATCH',
      headers: { 'x-trace': 'abc', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await res.json()).toMatchObject({ body: { a: 1 } });
    expect(seen.at(-1)).toMatchObject({ method: 'PATCH', header: 'abc' });
  });

  it('accepts a Request object and keeps its headers', async () => {
    const res = await call(new Request(`${base}/api/x`, { headers: { 'x-trace': 'req' } }));
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ header: 'req' });
  });

  it('uses an injected fetch', async () => {
    const injected = jest.fn(fetch);
    const res = await messaging.fetch({ fetch: injected })(`${base}/api/x`);
    expect(res.status).toBe(200);
    expect(injected).toHaveBeenCalledTimes(1);
    expect(new Headers(injected.mock.calls[0]![1]!.headers).get('authorization')).toMatch(/^Bearer ey/);
  });

  it('gives a token to other HTTP clients with getToken, from the same cache', async () => {
    const token = await call.getToken('contacts', { actAs: { upn: 'alice@contoso.com' } });
    const again = await call.getToken('contacts', { actAs: { upn: 'alice@contoso.com' } });
    expect(again).toBe(token);
    const res = await fetch(`${base}/api/x`, { headers: { authorization: `Bearer ${token}` } });
    expect(await res.json()).toMatchObject({ kind: 'user', user: 'alice@contoso.com' });
  });

  it('discovers an unconfigured partner realm once, from the 401 challenge to an empty bearer token', async () => {
    messaging.partners.update('contacts', { realm: undefined });
    try {
      const first = messaging.fetch({ fetch });
      expect((await first(`${base}/api/x`)).status).toBe(200);
      expect((await first(`${base}/api/y`)).status).toBe(200);
      const discoveries = seen.filter((s) => s.authorization !== undefined && /^Bearer\s*$/.test(s.authorization));
      expect(discoveries).toHaveLength(1);
      expect(mints).toHaveBeenCalledWith(
        expect.objectContaining({ audience: expect.objectContaining({ realm: 'contoso.com' }) }),
      );
    } finally {
      messaging.partners.update('contacts', { realm: 'contoso.com' });
    }
  });

  it('reports a realm that cannot be discovered', async () => {
    messaging.partners.update('contacts', { realm: undefined, baseUrls: [`http://127.0.0.1:${portOf(otherServer)}/`] });
    try {
      const res = messaging.fetch({ fetch })(`http://127.0.0.1:${portOf(otherServer)}/x`);
      await expect(res).rejects.toMatchObject({ code: 'realm_discovery_failed' });
      expect(mints).not.toHaveBeenCalled();
    } finally {
      messaging.partners.update('contacts', { realm: 'contoso.com', baseUrls: [`${base}/api`] });
    }
  });

  it('names a bad actAs', async () => {
    await expect(call(`${base}/api/x`, { actAs: {} })).rejects.toThrow(
      /actAs: name the user by at least one of nameid, upn, smtp or sip/,
    );
  });
});
