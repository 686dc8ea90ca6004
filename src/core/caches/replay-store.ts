import { TokenError } from '../errors/token-error';
import type { MaybePromise } from '../maybe-async';
import type { EventSink } from '../events';

/**
 * What a {@link ReplayStore} answers for a token id: `true` the first time, `false` for a replay,
 * `'unverifiable'` when the store cannot know (the id is new to it, but the token was issued
 * before the store's memory began: it may have been used before a restart or a loss).
 */
export type ReplayAnswer = boolean | 'unverifiable';

/**
 * Remembers token ids (`jti`) until their tokens expire, to refuse a replay. Pluggable: the
 * in-process default protects one process only; a fleet shares one store (e.g. Redis `SET key 1
 * NX PXAT expiresAt`) by implementing this interface.
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (ms). Answers `true` the first time an id is seen, `false`
   * when it was already recorded and has not expired (a replay, 401 `token_replayed`), and
   * `'unverifiable'` when the token was issued (`issuedAt`, ms) before the store's memory began
   * (401 `replay_unverifiable`: the caller mints a new token).
   */
  remember(id: string, expiresAt: number, issuedAt?: number): ReplayAnswer | Promise<ReplayAnswer>;
  /**
   * Called once by `createS2SAuth`, when given: the store may prepare what it needs (the Redis
   * store reads its epoch marker) and reports its own events with the service's. `s2s.ready()`
   * waits for it; a store that fails here is still asked for every token (and fails closed).
   */
  start?(onEvent?: EventSink): Promise<void> | void;
}

/**
 * The start of a store's memory, rounded down to the second: token times are whole seconds, so a
 * token minted in the same second as the store started is judged as issued after it.
 */
export function memoryStartsAt(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The in-memory store holds `maxEntries` live token ids and cannot record another. */
export class ReplayStoreFullError extends Error {
  override readonly name = 'ReplayStoreFullError';
}

/**
 * The in-process {@link ReplayStore}: a `Map` bounded by `maxEntries` (default 100,000 ids, about
 * 15 MB). When full it drops expired ids; when every id is still live it records nothing and
 * fails closed (the verifier answers 503 `replay_store_unavailable`): dropping a live id would let
 * its token be replayed. Only authentic tokens of partners that require unique ids reach it, so
 * only a partner sending that many valid tokens within their lifetime can fill it.
 *
 * Its memory begins when it is created: a token issued before that (used, perhaps, by the process
 * this one replaced) is `'unverifiable'`, so a restart never re-admits a token used before it.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  /** When the last sweep of expired ids found the store still full: sweep at most once a second then. */
  private fullSince = Number.NEGATIVE_INFINITY;
  private readonly since: number;

  constructor(
    private maxEntries = 100_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.since = memoryStartsAt(clock());
  }

  /**
   * A new bound (a configuration reload). Safe both ways: no live id is ever dropped, so a lower
   * bound than the ids held only makes new tokens wait (503) until enough have expired.
   * @internal
   */
  setMaxEntries(maxEntries: number): void {
    this.maxEntries = maxEntries;
    this.fullSince = Number.NEGATIVE_INFINITY;
  }

  remember(id: string, expiresAt: number, issuedAt?: number): ReplayAnswer {
    const now = this.clock();
    const previous = this.seen.get(id);
    if (previous !== undefined && previous > now) return false;
    if (previous === undefined && this.seen.size >= this.maxEntries && !this.sweep(now)) {
      throw new ReplayStoreFullError(
        `the in-memory replay store holds ${this.maxEntries} live token ids (replayCache.maxEntries)`,
      );
    }
    this.seen.set(id, expiresAt);
    return issuedAt !== undefined && issuedAt < this.since ? 'unverifiable' : true;
  }

  /** Drops expired ids; returns whether there is room now. */
  private sweep(now: number): boolean {
    if (now - this.fullSince < 1000) return false;
    for (const [id, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(id);
    const room = this.seen.size < this.maxEntries;
    this.fullSince = room ? Number.NEGATIVE_INFINITY : now;
    return room;
  }
}

/** Seconds a client is told to wait after the replay store could not answer. */
const REPLAY_STORE_RETRY_AFTER_SECONDS = 1;

function unavailable(cause: unknown): TokenError {
  return new TokenError('replay_store_unavailable', 'the replay store cannot record the token id right now', {
    cause,
    retryAfterSeconds: REPLAY_STORE_RETRY_AFTER_SECONDS,
  });
}

/**
 * Asks `store` to record `id`, failing closed: a store that throws, rejects or does not answer
 * within `timeoutMs` gives a 503 `replay_store_unavailable` (with `Retry-After`), never an
 * acceptance of a token id that could not be recorded, never a hung request and never a 500.
 * A synchronous answer stays synchronous (the in-memory store costs no microtask).
 */
export function rememberWithin(
  store: ReplayStore,
  id: string,
  expiresAt: number,
  issuedAt: number,
  timeoutMs: number,
): MaybePromise<ReplayAnswer> {
  let answer: ReplayAnswer | Promise<ReplayAnswer>;
  try {
    answer = store.remember(id, expiresAt, issuedAt);
  } catch (error) {
    throw unavailable(error);
  }
  if (!(answer instanceof Promise)) return normalised(answer);
  return new Promise<ReplayAnswer>((resolve, reject) => {
    const timer = setTimeout(() => reject(unavailable(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    answer.then(
      (first) => {
        clearTimeout(timer);
        resolve(normalised(first));
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(unavailable(error));
      },
    );
  });
}

/** Only `true` admits: anything a custom store returns besides the three answers counts as a replay. */
function normalised(answer: unknown): ReplayAnswer {
  return answer === true || answer === 'unverifiable' ? answer : false;
}
