import { memoryStartsAt, type ReplayAnswer, type ReplayStore } from '../core/caches/replay-store';
import type { EventSink } from '../core/events';
import type { RedisLike } from './redis-client';
import { checkNamespace, checkRedisClient } from './redis-options';

/** Options of {@link RedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** A connected node-redis client (`createClient({ url }).connect()`), shared with the rest of the app if you like. */
  client: RedisLike;
  /** Prefix of every key, per service (one Redis can serve many services): e.g. `s2s:contacts`. */
  namespace: string;
  /**
   * Set it only when this Redis never loses an acknowledged write: AOF with `appendfsync always`
   * (and replicas that cannot be promoted empty). Then a store that holds no epoch marker is new,
   * not emptied, and its first user trusts it from the start. Default `false`: the first instance
   * to find no marker starts the store's memory at that moment, and tokens issued before it are
   * refused with 401 `replay_unverifiable` (partners mint a new token; this library's fetch
   * wrapper does so by itself, once).
   */
  persistent?: boolean;
  /**
   * @deprecated No longer used: a token issued before the store's memory began is refused for as
   * long as it lives, and the verifier's lifetime cap bounds that. Accepted for compatibility.
   */
  maxTokenLifetimeSeconds?: number;
  /** Source of "now" (ms), for tests. Default `Date.now`. */
  clock?: () => number;
}

/** What the marker key reads as when it holds another type of value. */
const NOT_A_MARKER = Symbol('not a marker');

/** A marker further ahead of our clock than this was not written by an instance of ours: it is junk, and replaced. */
const MARKER_FUTURE_TOLERANCE_MS = 10 * 60 * 1000;

/**
 * Starts a new epoch unless the marker already holds an acceptable one (another instance was
 * first): at least ARGV[1], and not ahead of Redis's clock by more than ARGV[2] ms. The proposal is
 * Redis's own clock, so every instance proposes from one clock, or 0 when ARGV[3] is 'from_start'
 * (a persistent store seen for the first time: nothing was lost). Junk (not a number, a key of
 * another type) is replaced. Returns the epoch in force.
 */
const START_EPOCH = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'string' and string.match(current, '^%d+$') then
  local epoch = tonumber(current)
  if epoch >= tonumber(ARGV[1]) and epoch <= now + tonumber(ARGV[2]) then return current end
end
local proposal = now
if ARGV[3] == 'from_start' then proposal = 0 end
redis.call('SET', KEYS[1], string.format('%d', proposal))
return string.format('%d', proposal)`;

/**
 * A {@link ReplayStore} shared by a fleet, on Redis (or a Redis-protocol server such as Valkey):
 * one atomic `SET <namespace>:jti:<id> 1 NX PXAT <expiry>` per token id, so an id is accepted by
 * exactly one instance, once.
 *
 * **Redis that forgets.** A Redis that restarts empty (no persistence, or a failover to an empty
 * replica) forgets every id it held, so a token recorded before could be admitted again. Each
 * check also reads a marker key holding the store's epoch: when its memory began. An instance that
 * finds no marker (Redis lost it, or never had one) starts a new epoch at Redis's clock, and a
 * token issued before the epoch is refused with 401 `replay_unverifiable` even when its id is new:
 * the store cannot know it was not used before the loss. That holds when every instance restarts
 * together with Redis. A partner mints a new token and is accepted (the fetch wrapper does it
 * once by itself); the refusals last as long as tokens issued before the loss keep coming.
 * With a Redis that never loses a write (AOF `appendfsync always`), say `persistent: true`: a
 * store with no marker is then new, and its first epoch admits every token.
 *
 * The marker is read as untrusted input: one that is not a number, or that lies in the future,
 * is treated as missing (a `replay_store` event says so) and replaced.
 *
 * Timeouts and outages are the verifier's: a check that does not answer within
 * `replayCache.timeoutMs`, or fails, is a 503 `replay_store_unavailable` (fail closed). Give the
 * client `disableOfflineQueue: true` so commands fail at once while Redis is down.
 */
export class RedisReplayStore implements ReplayStore {
  private readonly client: RedisLike;
  private readonly prefix: string;
  private readonly epochKey: string;
  private readonly persistent: boolean;
  private readonly clock: () => number;
  private onEvent: EventSink | undefined;
  /** The epoch this instance last read (undefined until it first talked to the store) ... */
  private known: number | undefined;
  /** ... and the sequence number of the check whose read told it: older reads cannot contradict it. */
  private knownSeq = -1;
  private seq = 0;

  constructor(options: RedisReplayStoreOptions) {
    checkRedisClient(options);
    checkNamespace(options);
    const lifetime = options.maxTokenLifetimeSeconds;
    if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime <= 0))
      throw new TypeError('maxTokenLifetimeSeconds: expected a positive whole number of seconds');
    if (options.persistent !== undefined && typeof options.persistent !== 'boolean')
      throw new TypeError('persistent: expected true or false');
    this.client = options.client;
    this.prefix = `${options.namespace}:jti:`;
    this.epochKey = `${options.namespace}:replay-epoch`;
    this.persistent = options.persistent === true;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Called by `createS2SAuth`: reports this store's events (`replay_store`) with the service's,
   * and reads the epoch marker (creating it when missing) before the first token is checked.
   */
  async start(onEvent?: EventSink): Promise<void> {
    this.onEvent = onEvent;
    const seq = this.seq++;
    await this.epochFrom(await this.readMarkerKey(), seq);
  }

  /** Records `id` until `expiresAt`; a token `issuedAt` (ms) before the epoch is `'unverifiable'`. */
  async remember(id: string, expiresAt: number, issuedAt?: number): Promise<ReplayAnswer> {
    const seq = this.seq++;
    // Sent in one tick: node-redis pipelines them into one round trip.
    const [set, marker] = await Promise.all([
      this.client.sendCommand(['SET', `${this.prefix}${id}`, '1', 'NX', 'PXAT', String(Math.ceil(expiresAt))]),
      this.readMarkerKey(),
    ]);
    const since = await this.epochFrom(marker, seq);
    if (set !== 'OK') return false;
    return issuedAt !== undefined && issuedAt < memoryStartsAt(since) ? 'unverifiable' : true;
  }

  /**
   * The epoch to judge by. A marker that is missing, junk, in the future, or older than the one
   * this instance knew, means Redis lost its memory since (or someone wrote there): a new epoch
   * starts now. So does a store no instance marked yet, unless it is `persistent` (then nothing
   * can have been lost, and the epoch is 0). Instances that notice at once agree (the first
   * proposal stands).
   */
  private async epochFrom(marker: unknown, seq: number): Promise<number> {
    // A read sent before the one this instance learned from says nothing new (checks overlap).
    if (this.known !== undefined && seq < this.knownSeq) return this.known;
    const stored = this.readMarker(marker);
    if (stored !== undefined && (this.known === undefined || stored >= this.known)) return this.learn(stored, seq);
    const firstSight = this.known === undefined;
    const agreed = Number(
      await this.client.sendCommand([
        'EVAL',
        START_EPOCH,
        '1',
        this.epochKey,
        String(this.known === undefined ? 0 : this.known + 1),
        String(MARKER_FUTURE_TOLERANCE_MS),
        firstSight && this.persistent ? 'from_start' : 'now',
      ]),
    );
    if (!(firstSight && this.persistent))
      this.onEvent?.({ type: 'replay_store', outcome: 'new_epoch', since: new Date(agreed).toISOString() });
    return this.learn(agreed, this.seq++);
  }

  /** The marker key's value; a key of another type (not one we wrote) reads as junk, not as an outage. */
  private readMarkerKey(): Promise<unknown> {
    return this.client.sendCommand(['GET', this.epochKey]).catch((error: unknown) => {
      if (/WRONGTYPE/.test(String((error as Error)?.message))) return NOT_A_MARKER;
      throw error;
    });
  }

  /** The marker's epoch, or `undefined` when missing or not one we could have written (reported). */
  private readMarker(marker: unknown): number | undefined {
    if (marker === null || marker === undefined) return undefined;
    const text = typeof marker === 'symbol' ? '' : String(marker);
    const epoch = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(epoch) && epoch <= this.clock() + MARKER_FUTURE_TOLERANCE_MS) return epoch;
    this.onEvent?.({ type: 'replay_store', outcome: 'marker_invalid' });
    return undefined;
  }

  private learn(epoch: number, seq: number): number {
    if (seq >= this.knownSeq) {
      this.known = epoch;
      this.knownSeq = seq;
    }
    return this.known!;
  }
}
