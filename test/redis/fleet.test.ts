import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { S2SConfigInput } from '../../src/core/config/config-schema';
import { IDS } from '../helpers/certificates';
import type { S2SEvent } from '../../src/core/events';
import { CONTACTS_AUDIENCE, trustedPartner } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { freePort, startRedis, type RunningRedis } from '../helpers/redis-server';
import { call, startInstance, type Instance } from '../helpers/fleet-process';
import { describeWith } from '../helpers/requirements';

/*
 * A fleet of three real instance processes (soak/instance.js, the built package)
 * behind no balancer: every token is sent to all three at once. Redis is a real server on
 * loopback, stopped and restarted empty on purpose.
 */

/** Sends every token to every instance at once, `rounds` times, in batches; counts acceptances per token. */
async function spray(
  instances: Instance[],
  tokens: string[],
  rounds: number,
): Promise<{ accepted: Map<string, number>; codes: Map<string, number> }> {
  const accepted = new Map<string, number>();
  const codes = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < tokens.length; i += 100) {
      const batch = tokens.slice(i, i + 100);
      const results = await Promise.all(
        batch.flatMap((token) => instances.map((instance) => call(instance, token).then((r) => ({ token, ...r })))),
      );
      for (const r of results) {
        if (r.status === 200) accepted.set(r.token, (accepted.get(r.token) ?? 0) + 1);
        else codes.set(r.code ?? String(r.status), (codes.get(r.code ?? String(r.status)) ?? 0) + 1);
      }
    }
  }
  return { accepted, codes };
}

describeWith('redis-server', 'a fleet of three instances sharing Redis', () => {
  let redis: RunningRedis;
  let messaging: S2SAuth;
  let scheduler: S2SAuth;
  let config: S2SConfigInput;
  const running: Instance[] = [];
  const outboundEvents: S2SEvent[] = [];
  const mint = (from: S2SAuth, n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        from.issuer.mint({ audience: CONTACTS_AUDIENCE, lifetimeSeconds: 600 }).then((m) => m.token),
      ),
    );
  const fleet = async (replay: 'redis' | 'memory', namespace: string, count = 3) => {
    const instances = await Promise.all(
      Array.from({ length: count }, () => startInstance({ redisUrl: redis.url, config, replay, namespace })),
    );
    running.push(...instances);
    return instances;
  };

  beforeAll(async () => {
    redis = await startRedis();
    messaging = createS2SAuth(await serviceConfig('messaging', { outbound: { allowInsecureHosts: ['127.0.0.1'] } }), {
      onEvent: (e) => outboundEvents.push(e),
    });
    scheduler = createS2SAuth(await serviceConfig('scheduler'));
    config = await serviceConfig('contacts', {
      replayCache: { timeoutMs: 300 },
      partners: [
        trustedPartner('messaging', messaging, { requireUniqueJti: true }),
        {
          name: 'scheduler',
          applicationId: IDS.scheduler,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'certificate', certificates: [scheduler.config.signing.certificate] },
        },
      ],
    });
  }, 30_000);
  afterAll(async () => {
    await Promise.all(running.map((i) => i.stop()));
    await redis.stop();
  });

  it('with the in-memory store, each instance accepts the same token once: replays get through (the test can fail)', async () => {
    const instances = await fleet('memory', 'memory-fleet');
    const tokens = await mint(messaging, 100);
    const { accepted } = await spray(instances, tokens, 2);
    expect(tokens.every((t) => accepted.get(t) === 3)).toBe(true);
  }, 60_000);

  it('with the Redis store, each of 2,000 tokens is accepted exactly once in total; Redis stopped: 503, never twice; restarted empty: old tokens stay refused', async () => {
    const instances = await fleet('redis', 'redis-fleet');
    const tokens = await mint(messaging, 2000);
    const first = await spray(instances, tokens.slice(0, 1500), 3);
    expect(tokens.slice(0, 1500).map((t) => first.accepted.get(t))).toEqual(Array(1500).fill(1));
    expect(first.codes.get('token_replayed')).toBe(1500 * 8);

    // Redis goes away mid-run: every instance fails closed.
    await redis.stop();
    const during = await spray(instances, tokens.slice(1500), 1);
    expect(during.accepted.size).toBe(0);
    expect(during.codes.get('replay_store_unavailable')).toBe(500 * 3);

    // Back, but empty (no persistence): it forgot every id, yet no token accepted before is admitted again.
    redis = await startRedis(redis.port);
    // A token issued after the new epoch (times are whole seconds) is accepted once the fleet reconnects.
    const deadline = Date.now() + 10_000;
    while ((await call(instances[0]!, (await mint(messaging, 1))[0]!)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the fleet did not reconnect to Redis');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await spray(instances, tokens, 1);
    expect(tokens.slice(0, 1500).some((t) => after.accepted.has(t))).toBe(false);
    // The 500 tokens refused while Redis was down were issued before it came back empty: refused too.
    expect(after.accepted.size).toBe(0);
    const total = new Map(first.accepted);
    for (const [t, n] of after.accepted) total.set(t, (total.get(t) ?? 0) + n);
    expect([...total.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);

  it('Redis restarted empty and every instance restarted with it: no token used before is accepted again (replay_unverifiable), and the fetch wrapper gets through after one retry', async () => {
    const coldConfig = { ...config, hostnames: ['contacts.contoso.com', '127.0.0.1'] };
    // The same ports before and after: the wrapper's cached token is for the same audience.
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const start = () =>
      Promise.all(
        ports.map((port) =>
          startInstance({ redisUrl: redis.url, config: coldConfig, replay: 'redis', namespace: 'cold-start', port }),
        ),
      ).then((instances) => (running.push(...instances), instances));
    let instances = await start();
    const tokens = await mint(messaging, 300);
    const before = await spray(instances, tokens, 1);
    expect(tokens.map((t) => before.accepted.get(t))).toEqual(Array(300).fill(1));
    // The wrapper's own token, cached and used once before the restart.
    messaging.partners.add({
      name: 'contacts',
      applicationId: IDS.contacts,
      realm: 'contoso.com',
      trustLevel: 'Full',
      baseUrls: [instances[0]!.base],
    });
    const partnerFetch = messaging.fetch();
    expect((await partnerFetch(`${instances[0]!.base}/whoami`)).status).toBe(200);

    // A deploy, a node failure: Redis and every instance go down and come back together, Redis empty.
    await Promise.all(instances.map((i) => i.stop()));
    await redis.stop();
    redis = await startRedis(redis.port);
    instances = await start();
    const after = await spray(instances, tokens, 1);
    expect(after.accepted.size).toBe(0); // the old code accepted all 300 again here
    // Exactly one instance recorded each id (and could not vouch for it); the others saw it recorded.
    expect(after.codes.get('replay_unverifiable')).toBe(300);
    expect(after.codes.get('token_replayed')).toBe(600);

    // Our fetch wrapper: its cached token is refused once, it mints afresh, and the call succeeds.
    outboundEvents.length = 0;
    const res = await partnerFetch(`${instances[0]!.base}/whoami`);
    expect(res.status).toBe(200);
    expect(outboundEvents.filter((e) => e.type === 'outbound' && e.outcome === 'retried')).toHaveLength(1);

    // Tokens issued after the cold start are accepted, each exactly once in total.
    const fresh = await mint(messaging, 100);
    const now = await spray(instances, fresh, 2);
    expect(fresh.map((t) => now.accepted.get(t))).toEqual(Array(100).fill(1));
    messaging.partners.remove('contacts');
  }, 120_000);

  it('disable on one instance: the others refuse the partner (cached verifications included) within a second, a later instance too; enable restores', async () => {
    const [one, two, three] = await fleet('memory', 'partner-fleet');
    const [token] = await mint(scheduler, 1);
    for (const instance of [one!, two!, three!]) expect((await call(instance, token!)).status).toBe(200); // now cached on each
    expect((await fetch(`${one!.base}/admin/disable/scheduler`, { method: 'POST' })).status).toBe(200);
    const disabledAt = Date.now();
    for (const instance of [two!, three!]) {
      while ((await call(instance, token!)).status === 200) {
        if (Date.now() - disabledAt > 1000) throw new Error('the partner was not disabled within one second');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await call(instance, token!)).toEqual({ status: 401, code: 'partner_disabled' });
    }
    const [later] = await fleet('memory', 'partner-fleet', 1);
    expect(await call(later!, token!)).toEqual({ status: 401, code: 'partner_disabled' });

    expect((await fetch(`${three!.base}/admin/enable/scheduler`, { method: 'POST' })).status).toBe(200);
    const enabledAt = Date.now();
    for (const instance of [one!, two!, later!]) {
      while ((await call(instance, token!)).status !== 200) {
        if (Date.now() - enabledAt > 1000) throw new Error('the partner was not enabled within one second');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }, 60_000);
});
