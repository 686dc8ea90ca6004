import { createServer, type Server } from 'node:http';
import { createS2SAuth } from '../../../src/s2s-auth';
import { TokenError } from '../../../src/core/errors/token-error';
import type { S2SConfigInput } from '../../../src/core/config/config-input';
import { createTestPartner, createTestService } from '../../../src/testing';
import { StaticAuthorizationServer } from '../../helpers/static-authorization-server';

/*
 * A reload applies every setting but our identity and the current signing pair: outbound
 * settings (read live by a fetch wrapper made before the reload), the caches' bounds, and
 * authorization servers.
 */
const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenError ? e.code : ((e as { code?: string }).code ?? String(e))),
  );

describe('a reload applies the rest of the settings', () => {
  let partner: Server;
  let url: string;

  beforeAll(async () => {
    partner = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(partner.address() as { port: number }).port}`;
  });
  afterAll(() => partner.close());

  it('outbound: a partner added at an http host the reload allows is called by the fetch wrapper made before it', async () => {
    const crm = {
      name: 'crm',
      applicationId: 'crm-id',
      realm: 'contoso.com',
      trustLevel: 'Full' as const,
      baseUrls: [url],
    };
    const base = await createTestService({}, { allowLoopbackHttp: true });
    const strict: S2SConfigInput = { ...base, outbound: { allowInsecureHosts: [] } };
    const s2s = createS2SAuth(strict);
    const call = s2s.fetch();
    await expect(call(`${url}/x`)).rejects.toMatchObject({ code: 'no_partner_for_url' });
    // The start-up rule holds on a reload too: an http base URL needs its host allowed.
    expect(() => s2s.reload({ ...strict, partners: [crm] })).toThrow(
      expect.objectContaining({ path: 'partners[0].baseUrls[0]' }),
    );
    s2s.reload({
      ...strict,
      partners: [crm],
      outbound: { allowInsecureHosts: ['127.0.0.1'], discoveryTimeoutMs: 1500 },
    });
    expect((await call(`${url}/x`)).status).toBe(200);
    expect(s2s.config.outbound).toMatchObject({ allowInsecureHosts: ['127.0.0.1'], discoveryTimeoutMs: 1500 });
    s2s.reload(strict);
    await expect(call(`${url}/y`)).rejects.toMatchObject({ code: 'no_partner_for_url' });
  });

  it('authorization servers: added, their tokens accepted; removed, refused (cached verdicts included)', async () => {
    const as = await new StaticAuthorizationServer().start();
    try {
      const base = await createTestService({ serviceName: 'contacts-id' }, { allowLoopbackHttp: true });
      const s2s = createS2SAuth(base);
      const token = as.sign({ aud: 'contacts-id@contoso.com', client_id: 'messaging' });
      expect(await code(s2s.verifier.verify(token))).toBe('unknown_partner');
      const withServer = {
        ...base,
        authorizationServers: [
          {
            name: 'entra',
            metadataUrl: as.metadataUrl,
            clients: [{ clientId: 'messaging', trustLevel: 'Full' as const }],
          },
        ],
      };
      s2s.reload(withServer);
      await expect(s2s.verifier.verify(token)).resolves.toMatchObject({
        source: 'authorization-server',
        partner: 'messaging',
      });
      const server = s2s.authorizationServers.get('entra');
      s2s.reload({ ...withServer, tokens: { clockSkewSeconds: 30 } });
      expect(s2s.authorizationServers.get('entra')).toBe(server); // unchanged: kept, with what it learned
      s2s.reload(base);
      expect(await code(s2s.verifier.verify(token))).toBe('unknown_partner');
    } finally {
      await as.stop();
    }
  });

  it('the caches: a new verified-token bound empties it; a lower replay bound never drops a live id', async () => {
    const im = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec', requireUniqueJti: true });
    const base = await createTestService({ partners: [im.partnerConfig] }, { allowLoopbackHttp: true });
    const events: string[] = [];
    const s2s = createS2SAuth(base, { onEvent: (e) => e.type === 'accepted' && events.push(String(e.cached)) });
    const first = await im.mint({ audience: base });
    await s2s.verifier.verify(first);
    s2s.reload({ ...base, replayCache: { maxEntries: 1 } });
    // The one id held is live: a new token must wait for room (fail closed), and the first is still a replay.
    expect(await code(s2s.verifier.verify(await im.mint({ audience: base })))).toBe('replay_store_unavailable');
    expect(await code(s2s.verifier.verify(first))).toBe('token_replayed');

    const plain = await createTestPartner({ name: 'plain', trustLevel: 'Full', keyType: 'ec' });
    const config = { ...base, partners: [plain.partnerConfig] };
    const cached = createS2SAuth(config, { onEvent: (e) => e.type === 'accepted' && events.push(String(e.cached)) });
    const token = await plain.mint({ audience: config });
    for (let use = 0; use < 3; use++) await cached.verifier.verify(token); // cached on the second, a hit on the third
    cached.reload({ ...config, verifiedTokenCache: { maxEntries: 5 } });
    await cached.verifier.verify(token);
    expect(events).toEqual(['false', 'false', 'false', 'true', 'false']);
  });

  it('still refuses, as a whole, a change of identity or of the current signing pair', async () => {
    const base = await createTestService({}, { allowLoopbackHttp: true });
    const s2s = createS2SAuth(base);
    const other = await createTestService({}, { allowLoopbackHttp: true });
    expect(() => s2s.reload({ ...base, serviceName: 'someone-else', signing: other.signing })).toThrow(
      expect.objectContaining({
        issues: [
          { path: 'serviceName', message: expect.stringMatching(/^cannot change without a restart/) },
          { path: 'signing', message: expect.stringMatching(/rotate that with signing.next/) },
        ],
      }),
    );
    expect(s2s.config.serviceName).toBe(base.serviceName);
  });
});
