import type { EventSink } from '../events';
import type { PartnerRegistry } from './partner-registry';
import type { PartnerChange, PartnerStateStore } from './partner-state-store';

/** How long requests wait for the fleet's state at start-up before a 503 `partner_state_unavailable`. */
const STATE_WAIT_MS = 2000;
/** How often an unreachable store is tried again. */
const RETRY_MS = 1000;

/**
 * Keeps one instance's partner registry in step with the fleet's store: reads the recorded
 * changes at start (lookups wait until then, so a restarted instance never trusts a partner the
 * fleet disabled), records every change made here, and re-reads on every notice and after a
 * reconnect. While the store is unreachable, the instance keeps its last known state and says so;
 * it never re-enables a partner on its own.
 */
export class FleetSync {
  private stopWatching: (() => Promise<void>) | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private stopped = false;
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
    void this.store
      .watch(
        () => void this.refresh(),
        (reachable) => {
          this.report(reachable ? 'reachable' : 'unreachable');
          if (reachable) void this.refresh();
        },
      )
      .then(
        (stop) => {
          if (this.stopped) return void stop();
          this.stopWatching = stop;
        },
        () => this.report('unreachable'),
      )
      .finally(() => void this.refresh());
  }

  /** Resolves when every change made here so far has been recorded (or failed, with an event). */
  flush(): Promise<void> {
    return this.pending.then(() => undefined);
  }

  /** Stops watching (the store's client is the app's to close). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopWatching?.();
  }

  private record(change: PartnerChange): void {
    this.pending = this.pending.then(() =>
      this.store.record(change).then(
        // Not marked as applied here: a notice read before this record landed may have applied
        // an older change since; our own notice brings the stored state (the truth) back.
        () => this.report('recorded', change.name),
        () => this.report('record_failed', change.name),
      ),
    );
  }

  private refresh(): Promise<void> {
    return this.store.load().then(
      (changes) => {
        const { applied, invalid } = this.registry.applyFleetChanges(changes);
        for (const name of applied) this.report('applied', name);
        for (const name of invalid) this.report('invalid', name);
        this.markReady();
      },
      () => {
        this.report('unreachable');
        if (!this.stopped) setTimeout(() => void this.refresh(), RETRY_MS).unref();
      },
    );
  }

  private report(
    outcome: 'applied' | 'recorded' | 'record_failed' | 'invalid' | 'unreachable' | 'reachable',
    partner?: string,
  ): void {
    this.onEvent?.({ type: 'fleet', outcome, ...(partner !== undefined && { partner }) });
  }
}
