import { createClient } from 'redis';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { redisFleet } from '../../src/redis';
import type { RedisLike } from '../../src/redis/redis-client';
import type { S2SEvent } from '../../src/core/events';
import type { S2SConfigInput } from '../../src/core/config/config-schema';
import { IDS } from '../helpers/certificates';
import { CONTACTS_AUDIENCE } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { connectRedis, startRedis, type RunningRedis } from '../helpers/redis-server';
import { eventually } from '../helpers/eventually';

/* Two instances in one process (each with its own Redis connection), so the fleet sync itself is measured by coverage. */

describe('fleet-wide partner changes (FleetSync over redisFleet)', () => {
  let redis: RunningRedis;
  let messaging: S2SAuth;
  let config: S2SConfigInput;
  const clients: Array<Awaited<ReturnType<typeof connectRedis>>> = [];
  const services: S2SAuth[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    messaging = createS2SAuth(await serviceConfig('messaging'));
    config = await serviceConfig('contacts', {
      partners: [
        {
          name: 'messaging',
          applicationId: IDS.messaging,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'certificate', certificates: [messaging.config.signing.certificate] },
        },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.destroy()));
    await redis.stop();
  });

  async function instance(namespace: string, events: S2SEvent[] = []): Promise<S2SAuth> {
    const client = await connectRedis(redis.url);
    clients.push(client);
    const s2s = createS2SAuth(config, {
      fleet: redisFleet({ client: client as unknown as RedisLike, namespace }),
      onEvent: (e) => events.push(e),
    });
    services.push(s2s);
    await s2s.ready();
    return s2s;
  }
  const token = () => messaging.issuer.mint({ audience: CONTACTS_AUDIENCE }).then((m) => m.token);
  const verdict = (s2s: S2SAuth, t: string) =>
    s2s.verifier.verify(t).then(
      () => 'accepted',
      (e: { code: string }) => e.code,
    );

  it('applies a change made on one instance on the other within a second, with versions and events', async () => {
    const eventsA: S2SEvent[] = [];
    const eventsB: S2SEvent[] = [];
    const a = await instance('sync-1', eventsA);
    const b = await instance('sync-1', eventsB);
    const t = await token();
    expect(await verdict(b, t)).toBe('accepted'); // cached on b
    a.partners.disable('messaging');
    expect(await verdict(a, t)).toBe('partner_disabled'); // at once where it was made
    await eventually(async () => (await verdict(b, t)) === 'partner_disabled', 1000);
    await a.flushPartnerChanges();
    expect(eventsA).toContainEqual({ type: 'fleet', outcome: 'recorded', partner: 'messaging' });
    expect(eventsB).toContainEqual({ type: 'fleet', outcome: 'applied', partner: 'messaging' });

    b.partners.remove('messaging');
    await eventually(() => a.partners.get('messaging') === undefined, 1000);
    a.partners.add({ ...config.partners![0]!, permissions: ['contacts.read'] });
    await eventually(() => b.partners.get('messaging')?.config.permissions[0] === 'contacts.read', 1000);
    expect(await verdict(b, await token())).toBe('accepted');
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

  it('skips a recorded definition that does not validate, and says so', async () => {
    const events: S2SEvent[] = [];
    const a = await instance('sync-3', events);
    const raw = clients.at(-1)!;
    await raw.sendCommand([
      'HSET',
      'sync-3:partners',
      'messaging',
      JSON.stringify({
        version: 99,
        change: { op: 'upsert', name: 'messaging', definition: { name: 'messaging', trustLevel: 'Root' } },
      }),
    ]);
    await raw.sendCommand(['PUBLISH', 'sync-3:partners:changed', '99']);
    await eventually(() => events.some((e) => e.type === 'fleet' && e.outcome === 'invalid'), 1000);
    expect(a.partners.get('messaging')!.config.trustLevel).toBe('Full');
  });

  it('while the fleet state cannot be read at start, answers 503 partner_state_unavailable (it never trusts on its own)', async () => {
    const events: S2SEvent[] = [];
    const closed = createClient({ url: redis.url, disableOfflineQueue: true }); // never connected: every command fails
    const s2s = createS2SAuth(config, {
      fleet: redisFleet({ client: closed as unknown as RedisLike, namespace: 'sync-4' }),
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
});
