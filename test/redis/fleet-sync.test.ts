import { createClient } from 'redis';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { redisFleet } from '../../src/redis';
import type { RedisLike } from '../../src/redis/redis-client';
import type { PartnerStateStore } from '../../src/core/partners/partner-state-store';
import type { S2SEvent } from '../../src/core/events';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-schema';
import { IDS } from '../helpers/certificates';
import { CONTACTS_AUDIENCE } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { connectRedis, startRedis, type RunningRedis } from '../helpers/redis-server';
import { eventually } from '../helpers/eventually';
import { describeWith } from '../helpers/requirements';

/* Instances in one process (each with its own Redis connection), so the fleet sync itself is measured by coverage. */

describeWith('redis-server', 'fleet-wide partner changes (FleetSync over redisFleet)', () => {
  let redis: RunningRedis;
  let messaging: S2SAuth;
  let attacker: S2SAuth;
  let config: S2SConfigInput;
  let raw: Awaited<ReturnType<typeof connectRedis>>;
  const clients: Array<Awaited<ReturnType<typeof connectRedis>>> = [];
  const services: S2SAuth[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const messagingPartner = (): PartnerConfigInput => ({
    name: 'messaging',
    applicationId: IDS.messaging,
    realm: 'contoso.com',
    trustLevel: 'Full',
    keySource: { kind: 'certificate', certificates: [messaging.config.signing.certificate] },
  });

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await startRedis();
    raw = await connectRedis(redis.url);
    messaging = createS2SAuth(await serviceConfig('messaging'));
    attacker = createS2SAuth(await serviceConfig('other'));
    config = await serviceConfig('contacts', { partners: [messagingPartner()] });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(services.map((s) => s.close()));
    await Promise.all([...clients, raw].map((c) => c.destroy()));
    await redis.stop();
  });
  afterEach(() => expect(unhandled).toEqual([]));

  async function instance(
    namespace: string,
    events: S2SEvent[] = [],
    options: { config?: S2SConfigInput; store?: (store: PartnerStateStore) => PartnerStateStore } = {},
  ): Promise<S2SAuth> {
    const client = await connectRedis(redis.url);
    clients.push(client);
    const store = redisFleet({ client: client as unknown as RedisLike, namespace });
    const s2s = createS2SAuth(options.config ?? config, {
      fleet: options.store ? options.store(store) : store,
      onEvent: (e) => events.push(e),
    });
    services.push(s2s);
    await s2s.ready();
    return s2s;
  }
  const token = (from = messaging, user?: string) =>
    from.issuer.mint({ audience: CONTACTS_AUDIENCE, ...(user && { user: { upn: user } }) }).then((m) => m.token);
  const verdict = (s2s: S2SAuth, t: string) =>
    s2s.verifier.verify(t).then(
      (p) => `accepted ${p.trustLevel}`,
      (e: { code: string }) => e.code,
    );
  const restartRedisEmpty = async () => {
    await redis.stop();
    redis = await startRedis(redis.port); // no persistence: every key is gone
    await eventually(async () => (await raw.sendCommand(['PING']).catch(() => 'down')) === 'PONG', 10_000);
  };

  it('applies a disable, a removal and an enable made on one instance on the other within a second, with events', async () => {
    const eventsA: S2SEvent[] = [];
    const eventsB: S2SEvent[] = [];
    const a = await instance('sync-1', eventsA);
    const b = await instance('sync-1', eventsB);
    const t = await token();
    expect(await verdict(b, t)).toBe('accepted Full');
    a.partners.disable('messaging');
    expect(await verdict(a, t)).toBe('partner_disabled'); // at once where it was made
    await eventually(async () => (await verdict(b, t)) === 'partner_disabled', 1000);
    await a.flushPartnerChanges();
    expect(eventsA).toContainEqual({ type: 'fleet', outcome: 'recorded', partner: 'messaging' });
    expect(eventsB).toContainEqual({ type: 'fleet', outcome: 'applied', partner: 'messaging' });

    // A removal at run time reaches every instance, and one started later.
    b.partners.enable('messaging');
    b.partners.remove('messaging');
    await eventually(() => a.partners.get('messaging') === undefined, 1000);
    expect(await verdict(a, t)).toBe('unknown_partner');
    await b.flushPartnerChanges();
    const c = await instance('sync-1');
    expect(await verdict(c, t)).toBe('unknown_partner');

    // enable() undoes the removal: the partner is back as the configuration defines it, everywhere.
    c.partners.enable('messaging');
    for (const s of [a, b, c]) await eventually(async () => (await verdict(s, t)) === 'accepted Full', 1000);
  });

  it('converges a later instance, and two changes at once end in the same state everywhere', async () => {
    const a = await instance('sync-2');
    const b = await instance('sync-2');
    a.partners.disable('messaging');
    b.partners.enable('messaging');
    await Promise.all([a.flushPartnerChanges(), b.flushPartnerChanges()]);
    const c = await instance('sync-2');
    await eventually(
      () => a.partners.get('messaging')!.config.enabled === b.partners.get('messaging')!.config.enabled,
      1000,
    );
    expect(c.partners.get('messaging')!.config.enabled).toBe(a.partners.get('messaging')!.config.enabled);
  });

  it('with a fleet, definitions change only through the configuration: add, update and enabling what the file disables are refused', async () => {
    const disabledInFile = { ...config, partners: [{ ...messagingPartner(), enabled: false }] };
    const a = await instance('sync-3', [], { config: disabledInFile });
    expect(() => a.partners.add({ ...messagingPartner(), name: 'other' })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: 'name' })] }),
    );
    expect(() => a.partners.update('messaging', { trustLevel: 'User' })).toThrow(/through the configuration/);
    expect(() => a.partners.enable('messaging')).toThrow(/disabled by the configuration/);
    expect(await verdict(a, await token())).toBe('partner_disabled');
    await a.flushPartnerChanges();
    expect(await raw.sendCommand(['HLEN', 'sync-3:partners'])).toBe(0); // nothing was recorded
  });

  it('forged records can neither add a partner nor change one: only enabled / disabled / removed count, the definition stays the file’s', async () => {
    const events: S2SEvent[] = [];
    const a = await instance('sync-4', events);
    const forged = (name: string, definition: object, version = 1e12) =>
      JSON.stringify({ version, change: { op: 'upsert', name, definition } });
    const evil = {
      name: 'evil',
      applicationId: IDS.other,
      realm: 'contoso.com',
      trustLevel: 'Full',
      keySource: { kind: 'certificate', certificates: [attacker.config.signing.certificate] },
    };
    await raw.sendCommand(['HSET', 'sync-4:partners', 'evil', forged('evil', evil)]);
    // The attacker's certificate on an existing partner, lowered to User: only `enabled` is taken.
    await raw.sendCommand([
      'HSET',
      'sync-4:partners',
      'messaging',
      forged('messaging', { ...evil, name: 'messaging', applicationId: IDS.messaging, enabled: true }),
    ]);
    await raw.sendCommand(['PUBLISH', 'sync-4:partners:changed', '1']);
    await eventually(() => events.some((e) => e.type === 'fleet' && e.outcome === 'applied'), 1000);
    expect(await verdict(a, await token(attacker))).toBe('unknown_partner');
    expect(a.partners.get('evil')).toBeUndefined();
    expect(await verdict(a, await token())).toBe('accepted Full');
    expect(a.partners.get('messaging')!.config.keySource).toEqual(messagingPartner().keySource);
    // A later instance reads the same records and comes to the same decisions.
    const b = await instance('sync-4');
    expect(await verdict(b, await token(attacker))).toBe('unknown_partner');
    expect(await verdict(b, await token())).toBe('accepted Full');
  });

  it('skips records that are not changes, each on its own (not JSON, null, no version, another name, huge versions), with events; nothing dies, a starting instance is ready', async () => {
    const events: S2SEvent[] = [];
    const a = await instance('sync-5', events);
    const junk: Array<[string, string]> = [
      ['messaging', 'not json'],
      ['p-null', 'null'],
      ['p-version', '{"version":1}'],
      ['p-other', JSON.stringify({ version: 5, change: { op: 'disable', name: 'messaging' } })],
      ['p-huge', JSON.stringify({ version: 1e300, change: { op: 'disable', name: 'p-huge' } })],
      ['p-op', JSON.stringify({ version: 5, change: { op: 'grant', name: 'p-op' } })],
      ['\u001b[32mPASS', '[]'],
    ];
    for (const [field, value] of junk) await raw.sendCommand(['HSET', 'sync-5:partners', field, value]);
    await raw.sendCommand(['PUBLISH', 'sync-5:partners:changed', '1']);
    await eventually(() => events.filter((e) => e.type === 'fleet' && e.outcome === 'invalid').length >= 7, 1000);
    const invalid = events.filter((e) => e.type === 'fleet' && e.outcome === 'invalid');
    expect(invalid.map((e) => (e as { partner?: string }).partner).sort()).toEqual([
      'messaging',
      'p-huge',
      'p-null',
      'p-op',
      'p-other',
      'p-version',
      undefined,
    ]);
    expect(await verdict(a, await token())).toBe('accepted Full');
    const b = await instance('sync-5');
    expect(await verdict(b, await token())).toBe('accepted Full');
    // A bad record does not block a real change: the next disable overwrites it.
    a.partners.disable('messaging');
    await a.flushPartnerChanges();
    await eventually(async () => (await verdict(b, await token())) === 'partner_disabled', 1000);
    expect(events).not.toContainEqual(expect.objectContaining({ type: 'fleet', outcome: 'record_failed' }));
  });

  it('a hash key of another type does not stop the fleet: instances start, decide, and record over it', async () => {
    await raw.sendCommand(['SET', 'sync-6:partners', 'not a hash']);
    const a = await instance('sync-6');
    expect(await verdict(a, await token())).toBe('accepted Full');
    a.partners.disable('messaging');
    await a.flushPartnerChanges();
    const b = await instance('sync-6');
    expect(await verdict(b, await token())).toBe('partner_disabled');
  });

  it('while the fleet state cannot be read at start, answers 503 partner_state_unavailable (it never trusts on its own)', async () => {
    const events: S2SEvent[] = [];
    const closed = createClient({ url: redis.url, disableOfflineQueue: true }); // never connected: every command fails
    const s2s = createS2SAuth(config, {
      fleet: redisFleet({ client: closed as unknown as RedisLike, namespace: 'sync-10' }),
      onEvent: (e) => events.push(e),
    });
    services.push(s2s);
    const error = await s2s.verifier.verify(await token()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'partner_state_unavailable', status: 503, headers: { 'Retry-After': '1' } });
    expect(events).toContainEqual({ type: 'fleet', outcome: 'unreachable' });
    // A change made meanwhile applies here and says it did not reach the fleet.
    s2s.partners.disable('messaging');
    await s2s.flushPartnerChanges();
    expect(events).toContainEqual({ type: 'fleet', outcome: 'record_failed', partner: 'messaging' });
  });

  it('coalesces notices: 20,000 publishes cause a handful of reads, not 20,000', async () => {
    let loads = 0;
    const a = await instance('sync-7', [], {
      store: (store) => ({
        ...store,
        load: () => {
          loads++;
          return store.load();
        },
      }),
    });
    const before = loads;
    await Promise.all(
      Array.from({ length: 20_000 }, () => raw.sendCommand(['PUBLISH', 'sync-7:partners:changed', '1'])),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(loads - before).toBeGreaterThan(0);
    expect(loads - before).toBeLessThan(200);
    expect(await verdict(a, await token())).toBe('accepted Full');
  });

  it('versions never go backwards: after Redis restarts empty, a disable on A is refused on B within a second, and a new instance learns the state from those that knew it', async () => {
    const eventsA: S2SEvent[] = [];
    const eventsB: S2SEvent[] = [];
    const a = await instance('sync-8', eventsA);
    const b = await instance('sync-8', eventsB);
    const t = await token();
    for (let i = 0; i < 3; i++) {
      a.partners.disable('messaging');
      a.partners.enable('messaging');
    }
    await a.flushPartnerChanges();
    await eventually(async () => (await verdict(b, t)) === 'accepted Full', 1000);

    const reachableBefore = eventsA.filter((e) => e.type === 'fleet' && e.outcome === 'reachable').length;
    await restartRedisEmpty();
    // A change made while A is still disconnected would only be `record_failed`: wait for A to be back.
    await eventually(
      () => eventsA.filter((e) => e.type === 'fleet' && e.outcome === 'reachable').length > reachableBefore,
      5000,
    );
    a.partners.disable('messaging');
    const disabledAt = Date.now();
    await eventually(async () => (await verdict(b, t)) === 'partner_disabled', 3000);
    expect(Date.now() - disabledAt).toBeLessThan(1500);

    // Empty again: the disable is gone from Redis, but A and B know it and write it back.
    await restartRedisEmpty();
    await eventually(
      () => [...eventsA, ...eventsB].some((e) => e.type === 'fleet' && e.outcome === 'store_reset'),
      5000,
    );
    const c = await instance('sync-8');
    await eventually(async () => (await verdict(c, t)) === 'partner_disabled', 1000);
    // And a change after it still reaches everyone.
    c.partners.enable('messaging');
    for (const s of [a, b, c]) await eventually(async () => (await verdict(s, t)) === 'accepted Full', 1000);
  }, 60_000);

  it('a reload applies the file on top of the fleet: only enabled / disabled survive; a lowered trust level, a removal hold', async () => {
    const a = await instance('sync-9');
    const b = await instance('sync-9');
    const t = await token();
    const forUser = await token(messaging, 'alice@contoso.com');
    a.partners.disable('messaging');
    a.partners.enable('messaging'); // an old run-time change, recorded with the whole story
    await a.flushPartnerChanges();
    const stored = JSON.parse(String(await raw.sendCommand(['HGET', 'sync-9:partners', 'messaging'])));
    await eventually(() => b.partners.fleetState().highest >= stored.version, 1000);

    const lowered = { ...config, partners: [{ ...messagingPartner(), trustLevel: 'User' as const }] };
    for (const s of [a, b]) expect(s.reload(lowered)).toEqual({ added: [], changed: ['messaging'], removed: [] });
    for (const s of [a, b]) {
      expect(await verdict(s, t)).toBe('app_only_not_allowed');
      expect(await verdict(s, forUser)).toBe('user_context_not_allowed');
    }
    // A disable survives a reload of the same file, on every instance.
    b.partners.disable('messaging');
    await b.flushPartnerChanges();
    await eventually(async () => (await verdict(a, t)) === 'partner_disabled', 1000);
    a.reload(lowered);
    expect(await verdict(a, t)).toBe('partner_disabled');
    const removed = { ...config, partners: [] };
    for (const s of [a, b]) expect(s.reload(removed).removed).toEqual(['messaging']);
    for (const s of [a, b]) expect(await verdict(s, t)).toBe('unknown_partner');
    // Defined again: it comes back as the file says, with the fleet's disable still on top, until enabled.
    for (const s of [a, b]) s.reload(config);
    for (const s of [a, b]) expect(await verdict(s, t)).toBe('partner_disabled');
    a.partners.enable('messaging');
    for (const s of [a, b]) await eventually(async () => (await verdict(s, t)) === 'accepted Full', 1000);
  });
});
