/**
 * `s2s-oauth/redis`: state a fleet of instances shares, on Redis through node-redis (an optional
 * peer dependency: install `redis` to use this subpath).
 * @packageDocumentation
 */
export { RedisReplayStore, type RedisReplayStoreOptions } from './redis-replay-store';
export { redisFleet, type RedisFleetOptions } from './redis-fleet';
export type { RedisLike, RedisSubscriberLike } from './redis-client';
export type {
  PartnerStateStore,
  PartnerStateSnapshot,
  StoredPartnerRecord,
  PartnerChange,
  VersionedPartnerChange,
} from '../core/partners/partner-state-store';
