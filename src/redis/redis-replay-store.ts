import type { ReplayStore } from '../core/caches/replay-store';
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
   * The longest lifetime a token we accept can have, in seconds (default 3600: the default
   * `tokens.maxInboundLifetimeSeconds`; set it to your largest partner cap). After Redis has lost
   * its memory, tokens issued before that moment are refused for this long.
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
 * Redis's own clock (ARGV[3] = 'now') or, for a store seen for the first time, ARGV[3] ms earlier,
 * so every instance proposes from one clock. Junk (not a number, a key of another type) is
 * replaced. Returns the epoch in force.
 */
const START_EPOCH = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'string' and string.match(current, '^%d+$') then
  local epoch = tonumber(current)
  if epoch >= tonumber(ARGV[1]) and epoch <= now + tonumber(ARGV[2]) then return current end
end
local proposal = now - tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%d', proposal))
return string.format('%d', proposal)`;

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
  private readonly lifetimeMs: number;
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
    const lifetime = options.maxTokenLifetimeSeconds ?? 3600;
    if (!Number.isInteger(lifetime) || lifetime <= 0)
      throw new TypeError('maxTokenLifetimeSeconds: expected a positive whole number of seconds');
    this.client = options.client;
    this.prefix = `${options.namespace}:jti:`;
    this.epochKey = `${options.namespace}:replay-epoch`;
    this.lifetimeMs = lifetime * 1000;
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

  /** Records `id` until `expiresAt`; `issuedAt` (ms) lets a token from before a memory loss be refused. */
  async remember(id: string, expiresAt: number, issuedAt?: number): Promise<boolean> {
    const seq = this.seq++;
    // Sent in one tick: node-redis pipelines them into one round trip.
    const [set, marker] = await Promise.all([
      this.client.sendCommand(['SET', `${this.prefix}${id}`, '1', 'NX', 'PXAT', String(Math.ceil(expiresAt))]),
      this.readMarkerKey(),
    ]);
    const since = await this.epochFrom(marker, seq);
    if (issuedAt !== undefined && issuedAt < since && this.clock() < since + this.lifetimeMs) return false;
    return set === 'OK';
  }

  /**
   * The epoch to judge by. A marker that is missing, junk, in the future, or older than the one
   * this instance knew, means Redis lost its memory since (or someone wrote there): a new epoch
   * starts now. A store this instance never saw before starts with no refusal window (a first
   * deployment is not a loss). Instances that notice at once agree (the first proposal stands).
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
        String(firstSight ? this.lifetimeMs : 0),
      ]),
    );
    if (!firstSight)
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
