import { createS2SAuth } from '../../src/s2s-auth';
import { RedisReplayStore } from '../../src/redis';
import type { RedisLike } from '../../src/redis/redis-client';
import { CONTACTS_AUDIENCE, trustedPartner } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { connectRedis, startRedis, type RunningRedis } from '../helpers/redis-server';
import { eventually } from '../helpers/eventually';
import type { S2SEvent } from '../../src/core/events';
import { describeWith } from '../helpers/requirements';

describeWith('redis-server', 'RedisReplayStore on a real Redis server', () => {
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

  const storeFor = (namespace = 's2s:test', clock = Date.now, persistent?: boolean) =>
    new RedisReplayStore({
      client: client as unknown as RedisLike,
      namespace,
      clock,
      ...(persistent !== undefined && { persistent }),
    });
  /** A store that has read (or made) its epoch marker: tokens issued from now on are after it. */
  const startedStore = async (namespace?: string) => {
    const store = storeFor(namespace);
    await store.start();
    return store;
  };

  it('records an id once, atomically, however many checks race for it, with keys under the namespace', async () => {
    const store = await startedStore();
    const other = await startedStore('s2s:other');
    const now = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => store.remember('race', now + 60_000, now)));
    expect(answers.filter((a) => a === true)).toHaveLength(1);
    expect(answers.filter((a) => a === false)).toHaveLength(99);
    expect(await client.sendCommand(['PTTL', 's2s:test:jti:race'])).toBeGreaterThan(50_000);
    // Another service's namespace is another id space.
    expect(await other.remember('race', now + 60_000, now)).toBe(true);
  });

  it('forgets an id when its token expires (PXAT)', async () => {
    const store = await startedStore();
    const now = Date.now();
    expect(await store.remember('short', now + 150, now)).toBe(true);
    expect(await store.remember('short', now + 150, now)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.remember('short', Date.now() + 150, Date.now())).toBe(true);
  });

  it('after Redis restarts empty, a token issued before is unverifiable however late it comes (the id is recorded: then a replay); new ones are accepted', async () => {
    const events: S2SEvent[] = [];
    const store = storeFor('s2s:restart');
    await store.start((e) => events.push(e));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = Date.now() - 10; // after the first epoch, a second before the loss
    expect(await store.remember('old', before + 60_000, before)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis.stop();
    redis = await startRedis(redis.port); // same port, no persistence: every id is gone
    await eventually(async () => (await client.sendCommand(['PING']).catch(() => 'down')) === 'PONG', 10_000);
    expect(await client.sendCommand(['EXISTS', 's2s:restart:jti:old'])).toBe(0);
    expect(await store.remember('old', before + 60_000, before)).toBe('unverifiable');
    expect(await store.remember('old', before + 60_000, before)).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: 'replay_store', outcome: 'new_epoch' }));
    expect(await store.remember('new', Date.now() + 60_000, Date.now())).toBe(true);
    // Hours later, by any instance: a token from before the loss never becomes verifiable again.
    const later = storeFor('s2s:restart', () => Date.now() + 7_200_000);
    expect(await later.remember('old-but-late', Date.now() + 120_000, before)).toBe('unverifiable');
  });

  it('a store no instance has marked (Redis and every instance restarted together) starts its memory now: earlier tokens are unverifiable, later ones accepted, one second granularity', async () => {
    const issued = Math.floor(Date.now() / 1000) * 1000 - 1000; // a token's iat, a second before
    const events: S2SEvent[] = [];
    const store = storeFor('s2s:cold');
    await store.start((e) => events.push(e));
    expect(await store.remember('before', Date.now() + 60_000, issued)).toBe('unverifiable');
    // A token minted in the second the epoch began (iat is whole seconds) is after it.
    const epoch = Number(await client.sendCommand(['GET', 's2s:cold:replay-epoch']));
    expect(await store.remember('same-second', Date.now() + 60_000, Math.floor(epoch / 1000) * 1000)).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'replay_store', outcome: 'new_epoch' }));
    // A second instance started at once agrees on the epoch.
    const second = storeFor('s2s:cold');
    expect(await second.remember('before-2', Date.now() + 60_000, issued)).toBe('unverifiable');
  });

  it('persistent: true trusts a store with no marker from the start (no window), and still opens one when the marker is lost later', async () => {
    const issued = Date.now() - 60_000;
    const store = storeFor('s2s:aof', Date.now, true);
    await store.start();
    expect(await store.remember('before', Date.now() + 60_000, issued)).toBe(true);
    expect(await client.sendCommand(['GET', 's2s:aof:replay-epoch'])).toBe('0');
    await client.sendCommand(['DEL', 's2s:aof:replay-epoch']); // lost anyway (a FLUSHALL, an empty replica)
    expect(await store.remember('before-2', Date.now() + 60_000, issued)).toBe('unverifiable');
    expect(() => storeFor('s2s:aof', Date.now, 'yes' as unknown as boolean)).toThrow(/persistent/);
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
