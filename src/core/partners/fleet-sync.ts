import type { EventSink, FleetEvent } from '../events';
import { parseFleetRecord, reportableName } from './fleet-record';
import type { PartnerRegistry } from './partner-registry';
import type { PartnerChange, PartnerStateStore, VersionedPartnerChange } from './partner-state-store';

/** How long requests wait for the fleet's state at start-up before a 503 `partner_state_unavailable`. */
const STATE_WAIT_MS = 2000;
/** How often an unreachable store is tried again. */
const RETRY_MS = 1000;
/**
 * After a reconnect the subscription is renewed a moment after the connection is ready: a notice
 * published in between is never delivered, so the state is read again once that moment has passed.
 */
const AFTER_RECONNECT_MS = 500;
/** A notice lost anyway (a dropped connection, a subscriber that lagged) is caught up within this. */
const RECONCILE_MS = 5000;

/**
 * Keeps one instance's partner registry in step with the fleet's store: reads the recorded
 * changes at start (lookups wait until then, so a restarted instance never trusts a partner the
 * fleet disabled), records every change made here, and re-reads on every notice and after a
 * reconnect. While the store is unreachable, the instance keeps its last known state and says so;
 * it never re-enables a partner on its own.
 *
 * The store is untrusted input: every record is checked on its own (a bad one is skipped with an
 * `invalid` event), notices only ever cause one read in flight and one after it however many
 * arrive, and nothing here rejects unhandled. A store that lost its memory (its generation
 * changed) gets back what this instance knows (`store_reset`), so instances started after the
 * loss learn the fleet's state, and versions keep growing.
 */
export class FleetSync {
  private stopWatching: (() => Promise<void>) | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** The read in flight, and whether a notice came while it was (one more read then, not one per notice). */
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The store's generation this instance last read. */
  private generation: string | undefined;
  /** Resolves once the fleet's state has been read (requests wait for it). */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly registry: PartnerRegistry,
    private readonly store: PartnerStateStore,
    private readonly onEvent: EventSink | undefined,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    registry.attachFleet((change) => this.record(change), this.ready, STATE_WAIT_MS);
  }

  /** Starts: watches for notices, then reads the state (retrying until the store answers), so no notice falls between. */
  start(): void {
    this.store
      .watch(
        () => this.refresh(),
        (reachable) => {
          this.report(reachable ? 'reachable' : 'unreachable');
          if (!reachable) return;
          this.refresh();
          this.later(AFTER_RECONNECT_MS);
        },
      )
      .then(
        (stop) => {
          if (this.stopped) return void stop().catch(() => undefined);
          this.stopWatching = stop;
        },
        () => this.report('unreachable'),
      )
      .finally(() => this.refresh());
    const reconcile = setInterval(() => this.refresh(), RECONCILE_MS);
    reconcile.unref();
    this.timers.add(reconcile);
  }

  /** One more read after `ms`. */
  private later(ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.refresh();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Resolves when every change made here so far has been recorded (or failed, with an event). */
  flush(): Promise<void> {
    return this.pending.then(() => undefined);
  }

  /** Stops watching (the store's client is the app's to close). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const timer of this.timers) clearTimeout(timer);
    await this.stopWatching?.().catch(() => undefined);
  }

  private record(change: PartnerChange): void {
    this.pending = this.pending.then(() =>
      this.store.record(change, this.registry.fleetState().highest).then(
        // Not marked as applied here: a notice read before this record landed may have applied
        // an older change since; our own notice brings the stored state (the truth) back.
        () => this.report('recorded', change.name),
        () => this.report('record_failed', change.name),
      ),
    );
  }

  /** Reads the store's state: at once, or once more after the read in flight (notices coalesce). */
  private refresh(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
      if (this.readAgain) {
        this.readAgain = false;
        this.refresh();
      }
    });
  }

  /** One read; never rejects. */
  private async read(): Promise<void> {
    try {
      const snapshot = await this.store.load();
      if (this.generation !== undefined && snapshot.generation !== this.generation) {
        // The store lost its memory: give it back what we know, then read the result.
        this.report('store_reset');
        await this.store.restore(this.registry.fleetState().records);
        this.generation = snapshot.generation;
        this.readAgain = true;
        return;
      }
      this.generation = snapshot.generation;
      const changes: VersionedPartnerChange[] = [];
      for (const { name, value } of snapshot.records) {
        const change = parseFleetRecord(name, value);
        if (change) changes.push(change);
        else this.report('invalid', reportableName(name));
      }
      for (const name of this.registry.applyFleetChanges(changes)) this.report('applied', name);
      this.markReady();
    } catch {
      this.report('unreachable');
      clearTimeout(this.retryTimer);
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => this.refresh(), RETRY_MS);
        this.retryTimer.unref();
      }
    }
  }

  private report(outcome: FleetEvent['outcome'], partner?: string): void {
    this.onEvent?.({ type: 'fleet', outcome, ...(partner !== undefined && { partner }) });
  }
}
