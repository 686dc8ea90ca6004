/**
 * A run-time change a fleet shares: a partner the configuration defines is disabled, enabled
 * again, or removed. Nothing else: a partner's definition (its keys, trust level, permissions)
 * comes from the configuration only, so write access to the store can refuse partners but never
 * make an instance trust anything its configuration does not.
 */
export interface PartnerChange {
  /**
   * `disable`: its tokens are refused; `remove`: it is forgotten; `enable`: the run-time change is
   * undone (the partner is as its configuration defines it).
   */
  op: 'enable' | 'disable' | 'remove';
  /** The partner's name. */
  name: string;
}

/** A recorded change and its version (versions only grow, across the fleet and across a store that restarted empty: the highest per partner wins). */
export interface VersionedPartnerChange {
  /** Its place in the fleet's order of changes: a positive safe integer. */
  version: number;
  /** The change. */
  change: PartnerChange;
}

/** One stored record: the partner's name it is filed under, and the stored text. */
export interface StoredPartnerRecord {
  /** The name the record is filed under (a hash field, for Redis). */
  name: string;
  /** The stored text (JSON of a {@link VersionedPartnerChange}, when it is one). */
  value: string;
}

/**
 * What a store holds: every stored record as it was stored (each is checked by the core on its
 * own, so one bad record cannot hide the others), and the store's generation.
 */
export interface PartnerStateSnapshot {
  /**
   * Names the store's memory: it changes when the store lost what it held (a Redis restarted
   * empty, a failover to an empty replica). An instance that sees it change writes back what it
   * knows, so instances started after the loss learn the fleet's state too.
   */
  generation: string;
  /** The stored records, as stored. */
  records: ReadonlyArray<StoredPartnerRecord>;
}

/**
 * Where a fleet keeps its run-time partner changes (disable, enable, remove), so an incident
 * response reaches every instance and survives restarts. The configuration file stays the source
 * of the partners' definitions; the store records changes on top of it. The stored state is the
 * truth; a notice only says "read it again". `redisFleet()` (`s2s-oauth/redis`) is the adapter;
 * the core knows no Redis, and trusts no record it has not checked.
 */
export interface PartnerStateStore {
  /** Every stored record, and the store's generation (created when the store has none). */
  load(): Promise<PartnerStateSnapshot>;
  /**
   * Records a change with a version above `after` (the highest this instance has seen) and above
   * every version the store has handed out, and notifies the fleet; resolves with the version.
   */
  record(change: PartnerChange, after: number): Promise<number>;
  /**
   * Writes back records this instance applied, after the store lost its memory: each is stored
   * unless a newer one is, the version counter is raised past them, and the fleet is notified.
   */
  restore(records: readonly VersionedPartnerChange[]): Promise<void>;
  /**
   * Calls `onNotice` whenever a change may have been recorded elsewhere (and after a reconnect),
   * and `onStatus` when the store becomes unreachable or reachable again. Resolves with a stop
   * function.
   */
  watch(onNotice: () => void, onStatus: (reachable: boolean) => void): Promise<() => Promise<void>>;
}
