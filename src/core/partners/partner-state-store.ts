import type { PartnerConfig } from '../config/config-schema';

/** A run-time change to the partners, as a fleet records it: a partner's whole definition, or its removal. */
export type PartnerChange =
  | {
      /** Added, updated, enabled or disabled: the partner's definition now. */
      op: 'upsert';
      /** The partner's name. */
      name: string;
      /** Its whole definition after the change. */
      definition: PartnerConfig;
    }
  | {
      /** Removed. */
      op: 'remove';
      /** The partner's name. */
      name: string;
    };

/** A recorded change and its version (versions grow across the fleet: the highest per partner wins). */
export interface VersionedPartnerChange {
  /** Its place in the fleet's order of changes. */
  version: number;
  /** The change. */
  change: PartnerChange;
}

/**
 * Where a fleet keeps its run-time partner changes (enable, disable, add, update, remove), so an
 * incident response reaches every instance and survives restarts. The configuration file stays
 * the source of the partners' definitions; the store records changes on top of it. The stored
 * state is the truth; a notice only says "read it again". `redisFleet()` (`s2s-oauth/redis`) is
 * the adapter; the core knows no Redis.
 */
export interface PartnerStateStore {
  /** The latest recorded change of every partner that has one. */
  load(): Promise<VersionedPartnerChange[]>;
  /** Records a change and notifies the fleet; resolves with its version. */
  record(change: PartnerChange): Promise<number>;
  /**
   * Calls `onNotice` whenever a change may have been recorded elsewhere (and after a reconnect),
   * and `onStatus` when the store becomes unreachable or reachable again. Resolves with a stop
   * function.
   */
  watch(onNotice: () => void, onStatus: (reachable: boolean) => void): Promise<() => Promise<void>>;
}
