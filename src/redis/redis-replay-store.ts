import type { ReplayStore } from '../core/caches/replay-store';
import type { RedisLike } from './redis-client';

/** Options of {@link RedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** A connected node-redis client (`createClient({ url }).connect()`), shared with the rest of the app if you like. */
  client: RedisLike;
  /** Prefix of every key, per service (one Redis can serve many services): e.g. `s2s:contacts`. */
  namespace: string;
  /**
   * The longest lifetime a token we accept can have, in seconds (default 3600: the default
   * `tokens.maxInboundLifetimeSeconds`; set it to your largest partner cap). After Redis has lost
   * its memory, tokens issued before that moment are refused for this long.
   */
  maxTokenLifetimeSeconds?: number;
  /** Source of "now" (ms), for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * A {@link ReplayStore} shared by a fleet, on Redis (or a Redis-protocol server such as Valkey):
 * one atomic `SET <namespace>:jti:<id> 1 NX PXAT <expiry>` per token id, so an id is accepted by
 * exactly one instance, once.
 *
 * **Redis that forgets.** A Redis that restarts empty (no persistence, or a failover to an empty
 * replica) forgets every id it held, so a token recorded before could be admitted again. Each
 * check also reads a marker key holding the store's epoch (when it was last found empty); when
 * an instance that knew the marker finds it gone, a new epoch starts, and for one
 * `maxTokenLifetimeSeconds` after it, tokens issued before it are refused (as replays: a client
 * gets a fresh token and retries). A Redis restarted together with every instance cannot be told
 * from a new one: only persistence closes that case. With Redis persistence (AOF `appendfsync always`) no id is
 * lost and this window never opens; without it, the window is the price of a restart.
 *
 * Timeouts and outages are the verifier's: a check that does not answer within
 * `replayCache.timeoutMs`, or fails, is a 503 `replay_store_unavailable` (fail closed). Give the
 * client `disableOfflineQueue: true` so commands fail at once while Redis is down.
 */
export class RedisReplayStore implements ReplayStore {
  private readonly client: RedisLike;
  private readonly prefix: string;
  private readonly epochKey: string;
  private readonly lifetimeMs: number;
  private readonly clock: () => number;
  /** The epoch this instance last read (undefined until it first talked to the store) ... */
  private known: number | undefined;
  /** ... and the sequence number of the check whose read told it: older reads cannot contradict it. */
  private knownSeq = -1;
  private seq = 0;

  constructor(options: RedisReplayStoreOptions) {
    if (!options?.client || typeof options.client.sendCommand !== 'function')
      throw new TypeError('client: expected a node-redis client');
    if (typeof options.namespace !== 'string' || !/^[\w.:-]+$/.test(options.namespace)) {
      throw new TypeError('namespace: expected letters, digits, ".", ":", "_" or "-"');
    }
    const lifetime = options.maxTokenLifetimeSeconds ?? 3600;
    if (!Number.isInteger(lifetime) || lifetime <= 0)
      throw new TypeError('maxTokenLifetimeSeconds: expected a positive whole number of seconds');
    this.client = options.client;
    this.prefix = `${options.namespace}:jti:`;
    this.epochKey = `${options.namespace}:replay-epoch`;
    this.lifetimeMs = lifetime * 1000;
    this.clock = options.clock ?? Date.now;
  }

  /** Records `id` until `expiresAt`; `issuedAt` (ms) lets a token from before a memory loss be refused. */
  async remember(id: string, expiresAt: number, issuedAt?: number): Promise<boolean> {
    const seq = this.seq++;
    // Sent in one tick: node-redis pipelines them into one round trip.
    const [set, epoch] = await Promise.all([
      this.client.sendCommand(['SET', `${this.prefix}${id}`, '1', 'NX', 'PXAT', String(Math.ceil(expiresAt))]),
      this.client.sendCommand(['GET', this.epochKey]),
    ]);
    const since = await this.epochFrom(epoch === null ? undefined : Number(epoch), seq);
    if (issuedAt !== undefined && issuedAt < since && this.clock() < since + this.lifetimeMs) return false;
    return set === 'OK';
  }

  /**
   * The epoch to judge by. A marker that is missing, or older than the one this instance knew,
   * means Redis lost its memory since: a new epoch starts now. A store this instance never saw
   * before starts with no refusal window (a first deployment is not a loss). The higher proposal
   * wins in Redis, so instances that notice at once agree.
   */
  private async epochFrom(stored: number | undefined, seq: number): Promise<number> {
    // A read sent before the one this instance learned from says nothing new (checks overlap).
    if (this.known !== undefined && seq < this.knownSeq) return this.known;
    if (stored !== undefined && (this.known === undefined || stored >= this.known)) return this.learn(stored, seq);
    const proposal = this.known === undefined ? this.clock() - this.lifetimeMs : this.clock();
    const agreed = Number(await this.client.sendCommand(['EVAL', KEEP_HIGHER, '1', this.epochKey, String(proposal)]));
    return this.learn(agreed, this.seq++);
  }

  private learn(epoch: number, seq: number): number {
    if (seq >= this.knownSeq) {
      this.known = epoch;
      this.knownSeq = seq;
    }
    return this.known!;
  }
}

/** Sets the epoch marker to the proposal unless it already holds a later one; returns what it holds. */
const KEEP_HIGHER = `
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(current) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1] end
return current`;
