/**
 * What the Redis adapters need of a client: node-redis (`redis` 4 or 5, `createClient()`), or any
 * client with the same three methods. Commands are sent as raw arguments, so one adapter serves
 * every node-redis major; node-redis pipelines commands issued in the same tick on its own, so
 * concurrent token checks share round trips.
 */
export interface RedisLike {
  /** Sends one command (`['SET', key, value, 'NX', ...]`) and resolves with Redis's reply. */
  sendCommand(args: string[]): Promise<unknown>;
  /** A second connection with the same options (for SUBSCRIBE, which takes a connection over). */
  duplicate(): RedisSubscriberLike;
}

/** The subscriber connection {@link RedisLike.duplicate} returns. */
export interface RedisSubscriberLike {
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Subscribes `listener` to `channel` (node-redis resubscribes on its own after a reconnect). */
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  /** Connection events: `ready` (connected, also after a reconnect), `end`, `error`, `reconnecting`. */
  on(event: 'ready' | 'end' | 'error' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
  /** Closes the connection. */
  quit?(): Promise<unknown>;
  /** Closes the connection (node-redis 5). */
  close?(): Promise<unknown>;
}
