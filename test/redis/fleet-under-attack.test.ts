import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { PartnerConfigInput, S2SConfigInput } from '../../src/core/config/config-schema';
import { IDS, tempDir } from '../helpers/certificates';
import { CONTACTS_AUDIENCE } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { connectRedis, startRedis, type RunningRedis } from '../helpers/redis-server';
import { call, startInstance, type Instance } from '../helpers/fleet-process';
import { eventually } from '../helpers/eventually';
import { describeWith } from '../helpers/requirements';

/*
 * Three real instance processes on a real redis-server, each reading the same configuration file:
 * Redis restarted empty, partners disabled, lowered, removed and enabled again through reloads
 * and at run time, hostile records written straight into Redis. After every step, every instance
 * decides what the configuration plus the recorded enable / disable / remove says, within a
 * second, and no process dies.
 */
describeWith(
  'redis-server',
  'a fleet under attack: every instance agrees with the configuration plus the recorded run-time changes',
  () => {
    const namespace = 'attack';
    const dir = tempDir('s2s-attack-');
    const configFile = join(dir, 's2s.json');
    let redis: RunningRedis;
    let raw: Awaited<ReturnType<typeof connectRedis>>;
    let messaging: S2SAuth;
    let scheduler: S2SAuth;
    let attacker: S2SAuth;
    let base: S2SConfigInput;
    const running: Instance[] = [];

    const entry = (name: 'messaging' | 'scheduler', from: S2SAuth, extra: Partial<PartnerConfigInput> = {}) => ({
      name,
      applicationId: IDS[name],
      realm: 'contoso.com',
      trustLevel: 'Full' as const,
      keySource: { kind: 'certificate' as const, certificates: [from.config.signing.certificate] },
      ...extra,
    });
    const writeConfig = (partners: PartnerConfigInput[]) =>
      writeFileSync(configFile, JSON.stringify({ ...base, partners }));
    const post = (instance: Instance, path: string) => fetch(`${instance.base}${path}`, { method: 'POST' });
    const token = async (from: S2SAuth, user?: string) =>
      (await from.issuer.mint({ audience: CONTACTS_AUDIENCE, ...(user && { user: { upn: user } }) })).token;

    /** What each instance answers to the probe tokens: `200` or the refusal's code. */
    async function decisions(instances: Instance[]): Promise<string[][]> {
      const probes = [
        await token(messaging),
        await token(messaging, 'alice@contoso.com'),
        await token(scheduler),
        await token(attacker),
      ];
      return Promise.all(
        instances.map((i) => Promise.all(probes.map(async (t) => String((await call(i, t)).code ?? 200)))),
      );
    }
    /** Every instance decides `expected` (messaging app, messaging for alice, scheduler, attacker) within a second. */
    async function agree(instances: Instance[], expected: string[]) {
      const since = Date.now();
      let last: string[][] = [];
      while (Date.now() - since < 1000) {
        last = await decisions(instances);
        if (last.every((d) => JSON.stringify(d) === JSON.stringify(expected))) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(last).toEqual(instances.map(() => expected));
    }
    /** A run-time change on `instance`, retried while the instance is still reconnecting (503: not recorded). */
    async function change(instance: Instance, path: string) {
      await eventually(async () => (await post(instance, path)).status === 200, 5000);
    }
    const reloadAll = async (instances: Instance[]) => {
      for (const i of instances) expect((await post(i, '/admin/reload')).status).toBe(200);
    };

    beforeAll(async () => {
      redis = await startRedis();
      raw = await connectRedis(redis.url);
      messaging = createS2SAuth(await serviceConfig('messaging'));
      scheduler = createS2SAuth(await serviceConfig('scheduler'));
      attacker = createS2SAuth(await serviceConfig('other'));
      base = await serviceConfig('contacts');
    }, 30_000);
    afterAll(async () => {
      await Promise.all(running.map((i) => i.stop()));
      await raw.destroy();
      await redis.stop();
    });

    it('holds through a Redis restart, reloads, run-time changes and forged records', async () => {
      writeConfig([entry('messaging', messaging), entry('scheduler', scheduler)]);
      const start = () => startInstance({ redisUrl: redis.url, configFile, replay: 'memory', namespace });
      const fleet = await Promise.all([start(), start(), start()]);
      running.push(...fleet);
      const [a, b, c] = fleet as [Instance, Instance, Instance];
      await agree(fleet, ['200', '200', '200', 'unknown_partner']);
      // Some history: an old disable and enable of messaging.
      await change(a, '/admin/disable/messaging');
      await change(b, '/admin/enable/messaging');
      await agree(fleet, ['200', '200', '200', 'unknown_partner']);

      // Redis restarts empty; then a disable on A reaches everyone.
      await redis.stop();
      redis = await startRedis(redis.port);
      await eventually(async () => (await raw.sendCommand(['PING']).catch(() => 'down')) === 'PONG', 10_000);
      await change(a, '/admin/disable/scheduler');
      await agree(fleet, ['200', '200', 'partner_disabled', 'unknown_partner']);

      // A reload lowers messaging to User: the old enable does not bring Full back.
      writeConfig([entry('messaging', messaging, { trustLevel: 'User' }), entry('scheduler', scheduler)]);
      await reloadAll(fleet);
      await agree(fleet, ['app_only_not_allowed', 'user_context_not_allowed', 'partner_disabled', 'unknown_partner']);

      // Forged records: a Full-trust partner with the attacker's certificate, messaging "upgraded"
      // with it, an enable of scheduler with a huge version, and junk. Only enabled / disabled count.
      const forged = (name: string, definition: object, version: number) =>
        JSON.stringify({ version, change: { op: 'upsert', name, definition } });
      const attackerKeys = { kind: 'certificate', certificates: [attacker.config.signing.certificate] };
      await raw.sendCommand([
        'HSET',
        `${namespace}:partners`,
        'evil',
        forged(
          'evil',
          { name: 'evil', applicationId: IDS.other, realm: 'contoso.com', trustLevel: 'Full', keySource: attackerKeys },
          9e15,
        ),
        'messaging',
        forged(
          'messaging',
          { name: 'messaging', applicationId: IDS.other, trustLevel: 'Full', keySource: attackerKeys, enabled: true },
          9e15,
        ),
        'scheduler',
        JSON.stringify({ version: 1e300, change: { op: 'enable', name: 'scheduler' } }),
        'junk',
        'not json',
        'null',
        'null',
      ]);
      await raw.sendCommand(['PUBLISH', `${namespace}:partners:changed`, '1']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await agree(fleet, ['app_only_not_allowed', 'user_context_not_allowed', 'partner_disabled', 'unknown_partner']);

      // A reload removes messaging: refused everywhere, whatever the fleet recorded for it.
      writeConfig([entry('scheduler', scheduler)]);
      await reloadAll(fleet);
      await agree(fleet, ['unknown_partner', 'unknown_partner', 'partner_disabled', 'unknown_partner']);

      // Enabled again at run time on C: accepted everywhere.
      await change(c, '/admin/enable/scheduler');
      await agree(fleet, ['unknown_partner', 'unknown_partner', '200', 'unknown_partner']);

      // Removed at run time on B: refused everywhere, and by an instance started later.
      await change(b, '/admin/remove/scheduler');
      await agree(fleet, ['unknown_partner', 'unknown_partner', 'unknown_partner', 'unknown_partner']);
      const later = await start();
      running.push(later);
      await agree([...fleet, later], ['unknown_partner', 'unknown_partner', 'unknown_partner', 'unknown_partner']);

      expect(running.map((i) => i.alive())).toEqual([true, true, true, true]);
    }, 90_000);
  },
);
