import type { RedisLike } from './redis-client';

/** Refuses anything that is not a client we can send commands through (both adapters take one). */
export function checkRedisClient(options: { client?: RedisLike } | undefined): void {
  if (!options?.client || typeof options.client.sendCommand !== 'function')
    throw new TypeError('client: expected a node-redis client');
}

/** A namespace is a key prefix: letters, digits and a few separators, so keys of services never collide or need escaping. */
export function checkNamespace(options: { namespace?: unknown }): void {
  if (typeof options.namespace !== 'string' || !/^[\w.:-]+$/.test(options.namespace))
    throw new TypeError('namespace: expected letters, digits, ".", ":", "_" or "-"');
}
