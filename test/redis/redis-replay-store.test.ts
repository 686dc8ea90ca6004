import { createS2SAuth } from '../../src/s2s-auth';
import { RedisReplayStore } from '../../src/redis';
import type { RedisLike } from '../../src/redis/redis-client';
import { CONTACTS_AUDIENCE, trustedPartner } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { connectRedis, startRedis, type RunningRedis } from '../helpers/redis-server';
import { eventually } from '../helpers/eventually';
import type { S2SEvent } from '../../src/core/events';

describe('RedisReplayStore on a real Redis server', () => {
  let redis: RunningRedis;
  let client: Awaited<ReturnType<typeof connectRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
    client = await connectRedis(redis.url);
  });
  afterAll(async () => {
    await client.destroy();
    await redis.stop();
  });

  const storeFor = (namespace = 's2s:test', clock = Date.now) =>
    new RedisReplayStore({ client: client as unknown as RedisLike, namespace, clock, maxTokenLifetimeSeconds: 60 });

  it('records an id once, atomically, however many checks race for it, with keys under the namespace', async () => {
    const store = storeFor();
    const now = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => store.remember('race', now + 60_000, now)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await client.sendCommand(['PTTL', 's2s:test:jti:race'])).toBeGreaterThan(50_000);
    // Another service's namespace is another id space.
    expect(await storeFor('s2s:other').remember('race', now + 60_000, now)).toBe(true);
  });

  it('forgets an id when its token expires (PXAT)', async () => {
    const store = storeFor();
    const now = Date.now();
    expect(await store.remember('short', now + 150, now)).toBe(true);
    expect(await store.remember('short', now + 150, now)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.remember('short', Date.now() + 150, Date.now())).toBe(true);
  });

  it('after Redis restarts empty, refuses tokens issued before, for one token lifetime, and accepts new ones', async () => {
    const store = storeFor('s2s:restart');
    const before = Date.now();
    expect(await store.remember('old', before + 60_000, before - 1000)).toBe(true);
    await redis.stop();
    redis = await startRedis(redis.port); // same port, no persistence: every id is gone
    await eventually(async () => (await client.sendCommand(['PING']).catch(() => 'down')) === 'PONG', 10_000);
    expect(await client.sendCommand(['EXISTS', 's2s:restart:jti:old'])).toBe(0);
    expect(await store.remember('old', before + 60_000, before - 1000)).toBe(false);
    const after = Date.now() + 5;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await store.remember('new', after + 60_000, Date.now())).toBe(true);
    // Once a token lifetime has passed since the new epoch, older tokens would have expired anyway.
    const later = storeFor('s2s:restart', () => Date.now() + 61_000);
    expect(await later.remember('old-but-late', Date.now() + 120_000, before - 1000)).toBe(true);
  });

  it.each([
    ['junk', 'not-a-number'],
    ['in the future', String(Date.now() + 365 * 86_400_000)],
    ['of another type', undefined],
  ])(
    'an epoch marker that is %s is treated as missing, reported and replaced: no crash, no refusal of new tokens',
    async (_kind, marker) => {
      const namespace = `s2s:marker-${_kind.replace(/\W/g, '')}`;
      if (marker === undefined) await client.sendCommand(['HSET', `${namespace}:replay-epoch`, 'a', 'b']);
      else await client.sendCommand(['SET', `${namespace}:replay-epoch`, marker]);
      const events: S2SEvent[] = [];
      const messaging = createS2SAuth(await serviceConfig('messaging'));
      const contacts = createS2SAuth(
        await serviceConfig('contacts', {
          partners: [trustedPartner('messaging', messaging, { requireUniqueJti: true })],
        }),
        { replayStore: storeFor(namespace), onEvent: (e) => events.push(e) },
      );
      await contacts.ready();
      const token = (await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE })).token;
      await expect(contacts.verifier.verify(token)).resolves.toMatchObject({ partner: 'messaging' });
      await expect(contacts.verifier.verify(token)).rejects.toMatchObject({ code: 'token_replayed' });
      expect(events).toContainEqual({ type: 'replay_store', outcome: 'marker_invalid' });
      const healed = Number(await client.sendCommand(['GET', `${namespace}:replay-epoch`]));
      expect(Number.isSafeInteger(healed) && healed <= Date.now()).toBe(true);
    },
  );

  it('a reload that raises the clock skew does not readmit a token whose id Redis recorded before (token_replayed)', async () => {
    const messaging = createS2SAuth(await serviceConfig('messaging'));
    const config = await serviceConfig('contacts', {
      tokens: { clockSkewSeconds: 0 },
      partners: [trustedPartner('messaging', messaging, { requireUniqueJti: true })],
    });
    const contacts = createS2SAuth(config, { replayStore: storeFor('s2s:skew') });
    await contacts.ready();
    const { token } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE, lifetimeSeconds: 1 });
    await expect(contacts.verifier.verify(token)).resolves.toMatchObject({ partner: 'messaging' });
    await new Promise((resolve) => setTimeout(resolve, 2100)); // past exp + the old skew
    await expect(contacts.verifier.verify(token)).rejects.toMatchObject({ code: 'token_expired' });
    contacts.reload({ ...config, tokens: { clockSkewSeconds: 600 } });
    await expect(contacts.verifier.verify(token)).rejects.toMatchObject({ code: 'token_replayed' });
  });

  it('fails closed through the verifier: Redis down gives 503 replay_store_unavailable within the timeout, never an acceptance', async () => {
    const messaging = createS2SAuth(await serviceConfig('messaging'));
    const contacts = createS2SAuth(
      await serviceConfig('contacts', {
        replayCache: { timeoutMs: 300 },
        partners: [trustedPartner('messaging', messaging, { requireUniqueJti: true })],
      }),
      { replayStore: storeFor('s2s:verifier') },
    );
    const mint = () => messaging.issuer.mint({ audience: CONTACTS_AUDIENCE }).then((m) => m.token);
    const token = await mint();
    await expect(contacts.verifier.verify(token)).resolves.toMatchObject({ partner: 'messaging' });
    await expect(contacts.verifier.verify(token)).rejects.toMatchObject({ code: 'token_replayed' });
    await redis.stop();
    try {
      const started = Date.now();
      await expect(contacts.verifier.verify(await mint())).rejects.toMatchObject({
        code: 'replay_store_unavailable',
        status: 503,
        headers: { 'Retry-After': '1' },
      });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      redis = await startRedis(redis.port);
      await eventually(async () => (await client.sendCommand(['PING']).catch(() => 'down')) === 'PONG', 10_000);
    }
  });
});
