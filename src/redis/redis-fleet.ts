import type { PartnerChange, PartnerStateStore, VersionedPartnerChange } from '../core/partners/partner-state-store';
import type { RedisLike, RedisSubscriberLike } from './redis-client';

/** Options of {@link redisFleet}. */
export interface RedisFleetOptions {
  /** A connected node-redis client; a second connection is made from it (`duplicate()`) for the notices. */
  client: RedisLike;
  /** Prefix of every key and the channel, per service: the instances of one service share it. */
  namespace: string;
}

/*
 * Recorded only if newer than what is stored for the partner, then announced: two changes made
 * at once end in the same state everywhere (the higher version), whatever order they arrive in.
 */
const RECORD_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and cjson.decode(current).version >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1`;

/**
 * The fleet's partner state on Redis, for `createS2SAuth(config, { fleet: redisFleet({ client,
 * namespace }) })`: `partners.add / update / enable / disable / remove` on any instance is
 * recorded in the hash `<namespace>:partners` with a version from `<namespace>:partners:version`,
 * announced on the channel `<namespace>:partners:changed`, and applied by every instance (the
 * stored state is the truth; an instance that starts or reconnects later reads it too).
 */
export function redisFleet(options: RedisFleetOptions): PartnerStateStore {
  if (!options?.client || typeof options.client.sendCommand !== 'function')
    throw new TypeError('client: expected a node-redis client');
  if (typeof options.namespace !== 'string' || !/^[\w.:-]+$/.test(options.namespace)) {
    throw new TypeError('namespace: expected letters, digits, ".", ":", "_" or "-"');
  }
  const { client } = options;
  const hash = `${options.namespace}:partners`;
  const counter = `${options.namespace}:partners:version`;
  const channel = `${options.namespace}:partners:changed`;

  return {
    async load(): Promise<VersionedPartnerChange[]> {
      const flat = (await client.sendCommand(['HGETALL', hash])) as string[] | Record<string, string>;
      const values = Array.isArray(flat) ? flat.filter((_, i) => i % 2 === 1) : Object.values(flat);
      return values.map((value) => JSON.parse(value) as VersionedPartnerChange);
    },

    async record(change: PartnerChange): Promise<number> {
      const version = Number(await client.sendCommand(['INCR', counter]));
      const entry: VersionedPartnerChange = { version, change };
      await client.sendCommand([
        'EVAL',
        RECORD_IF_NEWER,
        '2',
        hash,
        channel,
        change.name,
        String(version),
        JSON.stringify(entry),
      ]);
      return version;
    },

    async watch(onNotice: () => void, onStatus: (reachable: boolean) => void): Promise<() => Promise<void>> {
      const subscriber: RedisSubscriberLike = client.duplicate();
      let reachable = true;
      const status = (now: boolean) => {
        if (now === reachable) return;
        reachable = now;
        onStatus(now);
      };
      subscriber.on('error', () => status(false));
      subscriber.on('reconnecting', () => status(false));
      subscriber.on('end', () => status(false));
      subscriber.on('ready', () => status(true));
      await subscriber.connect();
      await subscriber.subscribe(channel, () => onNotice());
      return async () => {
        await (subscriber.close?.() ?? subscriber.quit?.());
      };
    },
  };
}
