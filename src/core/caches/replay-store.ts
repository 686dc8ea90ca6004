import { TokenError } from '../errors/token-error';
import type { MaybePromise } from '../maybe-async';

/**
 * Remembers token ids (`jti`) until their tokens expire, to refuse a replay. Pluggable: the
 * in-process default protects one process only; a fleet shares one store (e.g. Redis `SET key 1
 * NX PXAT expiresAt`) by implementing this interface.
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (ms). Returns `true` the first time an id is seen and `false`
   * when it was already recorded and has not expired (a replay).
   */
  remember(id: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * The in-process {@link ReplayStore}: a `Map` bounded by `maxEntries`. When full it first drops
 * expired ids, then the oldest; only authentic tokens of partners that require unique ids reach it.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly clock: () => number = Date.now,
  ) {}

  remember(id: string, expiresAt: number): boolean {
    const now = this.clock();
    const previous = this.seen.get(id);
    if (previous !== undefined && previous > now) return false;
    if (this.seen.size >= this.maxEntries) this.evict(now);
    this.seen.delete(id);
    this.seen.set(id, expiresAt);
    return true;
  }

  private evict(now: number): void {
    for (const [id, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(id);
    if (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** Seconds a client is told to wait after the replay store could not answer. */
const REPLAY_STORE_RETRY_AFTER_SECONDS = 1;

function unavailable(cause: unknown): TokenError {
  return new TokenError('replay_store_unavailable', 'the replay store cannot record the token id right now', { cause, retryAfterSeconds: REPLAY_STORE_RETRY_AFTER_SECONDS });
}

/**
 * Asks `store` to record `id`, failing closed: a store that throws, rejects or does not answer
 * within `timeoutMs` gives a 503 `replay_store_unavailable` (with `Retry-After`), never an
 * acceptance of a token id that could not be recorded, never a hung request and never a 500.
 * A synchronous answer stays synchronous (the in-memory store costs no microtask).
 */
export function rememberWithin(store: ReplayStore, id: string, expiresAt: number, timeoutMs: number): MaybePromise<boolean> {
  let answer: boolean | Promise<boolean>;
  try {
    answer = store.remember(id, expiresAt);
  } catch (error) {
    throw unavailable(error);
  }
  if (!(answer instanceof Promise)) return answer === true;
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => reject(unavailable(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    answer.then(
      (first) => {
        clearTimeout(timer);
        resolve(first === true);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(unavailable(error));
      },
    );
  });
}
