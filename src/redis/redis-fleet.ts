import { randomUUID } from 'node:crypto';
import type {
  PartnerChange,
  PartnerStateSnapshot,
  PartnerStateStore,
  VersionedPartnerChange,
} from '../core/partners/partner-state-store';
import type { RedisLike, RedisSubscriberLike } from './redis-client';
import { checkNamespace, checkRedisClient } from './redis-options';

/** Options of {@link redisFleet}. */
export interface RedisFleetOptions {
  /** A connected node-redis client; a second connection is made from it (`duplicate()`) for the notices. */
  client: RedisLike;
  /** Prefix of every key and the channel, per service: the instances of one service share it. */
  namespace: string;
}

/*
 * The scripts treat what they read as untrusted: a value that is not what we write (junk, a key
 * of another type, a version beyond 2^53) is overwritten or ignored, never a reason to fail.
 */

/** The generation (created when missing: the store has lost its memory, or never had any) and every record. */
const LOAD = `
local generation = redis.pcall('GET', KEYS[2])
if type(generation) ~= 'string' then
  generation = ARGV[1]
  redis.call('SET', KEYS[2], generation)
end
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'hash' then return {generation, {}} end
return {generation, redis.call('HGETALL', KEYS[1])}`;

/** The version a stored record holds, when it is one we could have written. */
const STORED_VERSION = `
local function stored_version(hash, name)
  local ok, current = pcall(redis.call, 'HGET', hash, name)
  if not ok or not current then return 0 end
  local decoded, entry = pcall(cjson.decode, current)
  if not decoded or type(entry) ~= 'table' or type(entry.version) ~= 'number' then return 0 end
  if entry.version >= 9007199254740991 then return 0 end
  return entry.version
end
local function counter(key)
  return tonumber(redis.pcall('GET', key)) or 0
end`;

/*
 * A version above the counter, above what the recording instance has seen, above the partner's
 * stored record, and at least Redis's clock in microseconds: a Redis restarted empty (counter
 * back at 0) still hands out versions above every one handed out before, so instances that
 * applied those never skip a new change.
 */
const RECORD = `${STORED_VERSION}
local time = redis.call('TIME')
local version = math.max(tonumber(time[1]) * 1000000 + tonumber(time[2]), counter(KEYS[2]) + 1,
  tonumber(ARGV[2]) + 1, stored_version(KEYS[1], ARGV[1]) + 1)
version = string.format('%d', version)
redis.call('SET', KEYS[2], version)
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], ARGV[1], '{"version":' .. version .. ',"change":' .. ARGV[3] .. '}')
redis.call('PUBLISH', KEYS[3], version)
return version`;

/** Writes back records (name, version, change) unless a newer one is stored; raises the counter past them. */
const RESTORE = `${STORED_VERSION}
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
local highest = counter(KEYS[2])
for i = 1, #ARGV, 3 do
  local version = tonumber(ARGV[i + 1])
  if stored_version(KEYS[1], ARGV[i]) < version then
    redis.call('HSET', KEYS[1], ARGV[i], '{"version":' .. ARGV[i + 1] .. ',"change":' .. ARGV[i + 2] .. '}')
  end
  if version > highest then highest = version end
end
redis.call('SET', KEYS[2], string.format('%d', highest))
redis.call('PUBLISH', KEYS[3], string.format('%d', highest))
return 1`;

/**
 * The fleet's partner state on Redis, for `createS2SAuth(config, { fleet: redisFleet({ client,
 * namespace }) })`: `partners.disable / enable / remove` on any instance is recorded in the hash
 * `<namespace>:partners` with a version, announced on the channel `<namespace>:partners:changed`,
 * and applied by every instance (the stored state is the truth; an instance that starts or
 * reconnects later reads it too). `<namespace>:partners:generation` names the hash's memory: when
 * Redis restarts empty it is created anew, and instances that knew the old one write back what
 * they know.
 *
 * **Write access to Redis is a trust boundary**, and a narrow one: a record can disable, enable or
 * remove a partner the configuration defines, nothing else. No record adds a partner or a key, or
 * changes a trust level or permission; a record that is not a change is skipped with an event.
 */
export function redisFleet(options: RedisFleetOptions): PartnerStateStore {
  checkRedisClient(options);
  checkNamespace(options);
  const { client } = options;
  const hash = `${options.namespace}:partners`;
  const counter = `${options.namespace}:partners:version`;
  const channel = `${options.namespace}:partners:changed`;
  const generationKey = `${options.namespace}:partners:generation`;

  return {
    async load(): Promise<PartnerStateSnapshot> {
      const reply = (await client.sendCommand(['EVAL', LOAD, '2', hash, generationKey, randomUUID()])) as [
        string,
        string[],
      ];
      const [generation, flat] = reply;
      const records: Array<{ name: string; value: string }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) records.push({ name: String(flat[i]), value: String(flat[i + 1]) });
      return { generation: String(generation), records };
    },

    async record(change: PartnerChange, after: number): Promise<number> {
      const version = await client.sendCommand([
        'EVAL',
        RECORD,
        '3',
        hash,
        counter,
        channel,
        change.name,
        String(after),
        JSON.stringify(change),
      ]);
      return Number(version);
    },

    async restore(records: readonly VersionedPartnerChange[]): Promise<void> {
      const args = records.flatMap(({ version, change }) => [change.name, String(version), JSON.stringify(change)]);
      await client.sendCommand(['EVAL', RESTORE, '3', hash, counter, channel, ...args]);
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
