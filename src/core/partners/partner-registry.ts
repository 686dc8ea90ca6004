import type { Clock } from '../clock';
import type { PartnerConfig, PartnerConfigInput } from '../config/config-schema';
import { loadConfigSchema } from '../lazy-modules';
import { ConfigError } from '../errors/config-error';
import { toConfigError } from '../config/parse-config';
import { insecureUrlProblem } from '../config/startup-checks';
import { findOverlappingBaseUrls } from './base-urls';
import type { PartnerChange, VersionedPartnerChange } from './partner-state-store';
import { parseCertificateBundle } from '../certificates/oauth-certificate';
import { readPemSource } from '../certificates/pem-source';
import {
  createKeyCache,
  RemoteKeySource,
  StaticKeySource,
  type KeySource,
  type RemoteKeySourceSettings,
} from './key-source';
import { sameIdentifier } from '../principal-names';
import { deepFreeze } from '../tokens/principal';
import type { MaybePromise } from '../maybe-async';
import { keyFromCertificate, parseJwks, parseMetadataDocument } from './verification-key';

/**
 * A partner application as the verifier sees it: its configuration plus its key source. A new
 * object is made on every change, so a cached verification can tell it is out of date.
 */
export interface Partner {
  /** Its definition, frozen. */
  readonly config: Readonly<PartnerConfig>;
  /** Where its keys come from (none when it has no `keySource`). */
  readonly keySource: KeySource | undefined;
}

/** Whether the partner's id or realm must be read from its metadata document (configured by URL without them). */
function learnsIdentity(partner: Partner): boolean {
  return partner.config.keySource?.kind === 'metadata' && !(partner.config.applicationId && partner.config.realm);
}

/** A partner's principal id and realm, as far as they are known. */
export interface PartnerIdentity {
  /** Its principal id. */
  applicationId?: string;
  /** Its realm. */
  realm?: string;
}

/** What a reload changed. */
export interface ReloadResult {
  /** Partners the new configuration adds. */
  added: string[];
  /** Partners whose definition changed: their cached verifications stopped counting. */
  changed: string[];
  /** Partners it removes: their tokens are refused from now on. */
  removed: string[];
}

/** What {@link PartnerRegistry.findByIssuer} found for an `iss`. */
export type IssuerMatch =
  | {
      /** The partner the issuer names. */
      partner: Partner;
      /** Its principal id (configured, or from its metadata). */
      applicationId: string;
      /** Its realm. */
      realm: string;
    }
  | {
      /** No partner. */
      partner?: undefined;
      /** Why: nobody by that id; that id in another realm; a metadata document that could not be read; or a fleet's partner state not read yet. */
      reason: 'unknown_partner' | 'realm_mismatch' | 'key_source_unavailable' | 'partner_state_unavailable';
      /** The key-source error behind `key_source_unavailable`. */
      cause?: unknown;
    };

/**
 * The partner applications we trust: add, update, enable / disable, remove and list at run
 * time. A token is looked up by its `iss` and checked only with that partner's keys.
 *
 * Three layers: the configuration's definitions; without a fleet, run-time changes made here on
 * top of them (a reload puts the file back); with a fleet, the fleet's run-time state (disabled,
 * removed) on top of the configuration, which outlives reloads and is all a fleet record can
 * change.
 */
export class PartnerRegistry {
  /** The partners as the verifier sees them: the definitions with the run-time state applied. */
  private readonly partners = new Map<string, Partner>();
  /** The definitions: the configuration's, and (without a fleet) run-time changes made here. */
  private definitions: Map<string, Partner>;
  /** The partners as the configuration defines them (before run-time changes), for reload diffs. */
  private configured: Map<string, Partner>;
  private readonly keyCache = createKeyCache();
  /**
   * With a fleet: the run-time change in force per partner name and the fleet version it came
   * with (a change made here keeps the version it replaced until the fleet's record comes back).
   */
  private readonly runtime = new Map<string, { op: PartnerChange['op']; version: number }>();
  /** Called after every run-time change made here (a fleet records it); set when a fleet is attached. */
  private onChange: ((change: PartnerChange) => void) | undefined;
  /** Until the fleet's state is first read, lookups wait on this (a restarted instance must not trust a partner the fleet disabled). */
  private pendingState: Promise<void> | undefined;
  private stateWaitMs = 0;

  constructor(
    partners: readonly PartnerConfig[],
    private readonly settings: RemoteKeySourceSettings,
    private readonly clock: Clock,
    /** Where `{ "env": "NAME" }` certificates are read from (default `process.env`). */
    private readonly env?: NodeJS.ProcessEnv,
  ) {
    this.configured = new Map(partners.map((p, i) => [p.name, this.build(p, `partners[${i}]`)]));
    this.definitions = new Map(this.configured);
    for (const [name, partner] of this.definitions) this.partners.set(name, partner);
  }

  /**
   * Adds a partner; throws a `ConfigError` naming the field if the definition is invalid or the
   * name is taken. With a fleet, partners are added through the configuration (a reload): a fleet
   * shares only enable, disable and remove.
   */
  add(definition: PartnerConfigInput): PartnerConfig {
    this.refuseDefinitionChangeInFleet('add');
    const config = this.validate(definition);
    if (this.partners.has(config.name))
      throw new ConfigError('name', `a partner named "${config.name}" exists already`);
    this.refuseOverlappingBaseUrls(config);
    this.definitions.set(config.name, this.build(config, 'partner'));
    this.settle(config.name);
    this.settings.onEvent?.({ type: 'partner_change', action: 'added', partner: config.name, enabled: config.enabled });
    return config;
  }

  /**
   * Replaces fields of a partner (its name stays); cached verifications of its tokens stop
   * counting at once. With a fleet, only `enabled` may change at run time (see {@link add}).
   */
  update(name: string, changes: Partial<Omit<PartnerConfigInput, 'name'>>): PartnerConfig {
    if (this.onChange) {
      if (Object.keys(changes).some((field) => field !== 'enabled')) this.refuseDefinitionChangeInFleet('update');
      if (changes.enabled !== undefined) this.setRuntime(name, changes.enabled ? 'enable' : 'disable');
      return { ...this.require(name).config };
    }
    const current = this.require(name);
    const config = this.validate({ ...current.config, ...changes, name });
    this.refuseOverlappingBaseUrls(config);
    const keysChanged = JSON.stringify(config.keySource) !== JSON.stringify(current.config.keySource);
    this.definitions.set(
      name,
      keysChanged
        ? this.build(config, 'partner')
        : Object.freeze({ config: deepFreeze({ ...config }), keySource: current.keySource }),
    );
    this.settle(name);
    this.settings.onEvent?.({ type: 'partner_change', action: 'updated', partner: name, enabled: config.enabled });
    return config;
  }

  /** A definition change at run time, which a fleet cannot carry (its records may only enable, disable and remove). */
  private refuseDefinitionChangeInFleet(what: 'add' | 'update'): void {
    if (!this.onChange) return;
    throw new ConfigError(
      what === 'add' ? 'name' : 'changes',
      `with a fleet, partners are ${what === 'add' ? 'added' : 'changed'} through the configuration (edit it and reload): the fleet shares only enable, disable and remove`,
    );
  }

  /**
   * A fleet's run-time change made here: in force at once, recorded for the fleet. `enable` undoes
   * a disable or a removal; a partner the configuration itself disables stays disabled.
   */
  private setRuntime(name: string, op: PartnerChange['op']): void {
    const definition = op === 'enable' ? this.definitions.get(name) : this.require(name);
    if (!definition) throw new ConfigError('name', `no partner named "${name}"`);
    if (op === 'enable' && !definition.config.enabled)
      throw new ConfigError(
        'enabled',
        `partner "${name}" is disabled by the configuration: enable it there and reload`,
      );
    this.runtime.set(name, { op, version: this.runtime.get(name)?.version ?? 0 });
    this.settle(name);
    this.onChange!({ op, name });
    this.settings.onEvent?.({
      type: 'partner_change',
      action: op === 'remove' ? 'removed' : 'updated',
      partner: name,
      ...(op !== 'remove' && { enabled: op === 'enable' }),
    });
  }

  /**
   * Makes the partner the verifier sees for `name` agree with its definition and run-time state.
   * The object is kept when nothing changed (its cached verifications keep counting) and replaced
   * when anything did (they stop).
   */
  private settle(name: string): void {
    const definition = this.definitions.get(name);
    const op = this.runtime.get(name)?.op;
    if (!definition || op === 'remove') return void this.partners.delete(name);
    const enabled = definition.config.enabled && op !== 'disable';
    if (enabled === definition.config.enabled) return void this.partners.set(name, definition);
    const current = this.partners.get(name);
    if (current && current.keySource === definition.keySource && !current.config.enabled) {
      if (JSON.stringify(current.config) === JSON.stringify({ ...definition.config, enabled })) return;
    }
    this.partners.set(
      name,
      Object.freeze({ config: deepFreeze({ ...definition.config, enabled }), keySource: definition.keySource }),
    );
  }

  /**
   * Applies a fleet's recorded changes (already checked, see `parseFleetRecord`): those newer than
   * what this instance applied, per partner. Records of partners the configuration does not
   * define are kept (a reload may define them) but change nothing. Returns the configured
   * partners whose record was applied.
   * @internal Called by the fleet sync, never by users.
   */
  applyFleetChanges(changes: readonly VersionedPartnerChange[]): string[] {
    const applied: string[] = [];
    for (const { version, change } of [...changes].sort((a, b) => a.version - b.version)) {
      if ((this.runtime.get(change.name)?.version ?? 0) >= version) continue;
      this.runtime.set(change.name, { op: change.op, version });
      if (!this.definitions.has(change.name)) continue;
      this.settle(change.name);
      applied.push(change.name);
    }
    return applied;
  }

  /**
   * The fleet records this instance has applied (to write back to a store that lost its memory),
   * and the highest version among them (a new record must be above it).
   * @internal
   */
  fleetState(): { records: VersionedPartnerChange[]; highest: number } {
    const records = [...this.runtime]
      .filter(([, state]) => state.version > 0)
      .map(([name, { op, version }]) => ({ version, change: { op, name } }));
    return { records, highest: Math.max(0, ...records.map((r) => r.version)) };
  }

  /**
   * Reads the certificate files of partners configured by path again (their files changed on
   * disk). A partner whose files now read and parse gets its new keys (a new partner object, so
   * its cached verifications stop counting); one whose files do not (half written, not a
   * certificate) keeps its old keys. Returns which partners were reloaded and which refused.
   * @internal
   */
  reloadCertificateFiles(): { reloaded: string[]; refused: Array<{ partner: string; issues: ConfigError['issues'] }> } {
    const reloaded: string[] = [];
    const refused: Array<{ partner: string; issues: ConfigError['issues'] }> = [];
    for (const [name, partner] of this.definitions) {
      const source = partner.config.keySource;
      if (source?.kind !== 'certificate' || !source.certificates.some((c) => typeof c === 'string')) continue;
      let rebuilt: Partner;
      try {
        rebuilt = this.build(partner.config, `partner "${name}"`);
      } catch (error) {
        refused.push({
          partner: name,
          issues:
            error instanceof ConfigError ? error.issues : [{ path: 'keySource', message: (error as Error).message }],
        });
        continue;
      }
      const before = JSON.stringify(partner.keySource?.fresh()?.keys.map((k) => k.x5t));
      if (JSON.stringify(rebuilt.keySource?.fresh()?.keys.map((k) => k.x5t)) === before) continue;
      this.definitions.set(name, rebuilt);
      if (this.configured.get(name) === partner) this.configured.set(name, rebuilt);
      this.settle(name);
      reloaded.push(name);
    }
    return { reloaded, refused };
  }

  /** The certificate files partners are configured with (path form). */
  certificateFiles(): string[] {
    return [...this.definitions.values()].flatMap((p) =>
      p.config.keySource?.kind === 'certificate'
        ? p.config.keySource.certificates.filter((c): c is string => typeof c === 'string')
        : [],
    );
  }

  /**
   * Replaces every definition at once (a configuration reload): all new partners are built first
   * (certificates read, definitions validated, base URLs checked), then swapped in together, so a
   * failure changes nothing and no request sees half of each. A partner whose definition is
   * unchanged keeps its object (its cached verifications keep counting); a changed or removed one
   * does not. Without a fleet, run-time changes made here are replaced by the file; with one,
   * the fleet's run-time state (disabled, removed) stays on top, and nothing else does. Returns
   * the names added, changed and removed. Called by `S2SAuth.reload()`.
   * @internal
   */
  replaceAll(definitions: readonly PartnerConfig[]): ReloadResult {
    const overlap = findOverlappingBaseUrls(definitions);
    if (overlap)
      throw new ConfigError(
        `partners[${overlap.second}].baseUrls`,
        `${overlap.other} overlaps ${overlap.url} of partner "${definitions[overlap.first]!.name}"`,
      );
    const next = new Map<string, Partner>();
    const added: string[] = [];
    const changed: string[] = [];
    definitions.forEach((definition, i) => {
      const current = this.configured.get(definition.name);
      if (current && JSON.stringify(current.config) === JSON.stringify(definition))
        return void next.set(definition.name, current);
      next.set(definition.name, this.build(definition, `partners[${i}]`));
      (current ? changed : added).push(definition.name);
    });
    const removed = [...this.configured.keys()].filter((name) => !next.has(name));
    const names = new Set([...this.partners.keys(), ...next.keys()]);
    this.configured = next;
    this.definitions = new Map(next);
    for (const name of names) this.settle(name);
    return { added, changed, removed };
  }

  /**
   * Connects the registry to a fleet: changes made here are reported, and lookups wait for `ready`.
   * @internal
   */
  attachFleet(onChange: (change: PartnerChange) => void, ready: Promise<void>, waitMs: number): void {
    this.onChange = onChange;
    this.stateWaitMs = waitMs;
    this.pendingState = ready.then(() => {
      this.pendingState = undefined;
    });
  }

  /** Waits (at most `stateWaitMs`) for the fleet's state; `false` when it did not come. */
  private waitForState(pending: Promise<void>): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.stateWaitMs);
      void pending.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Refuses the partner's tokens from now on, cached ones included (and stops calling it). */
  disable(name: string): void {
    this.update(name, { enabled: false });
  }

  /** Accepts the partner's tokens again (with a fleet, also undoes a run-time removal). */
  enable(name: string): void {
    this.update(name, { enabled: true });
  }

  /** Forgets the partner; returns whether it existed. Its cached tokens stop counting at once. */
  remove(name: string): boolean {
    if (!this.partners.has(name)) return false;
    if (this.onChange) {
      this.setRuntime(name, 'remove');
      return true;
    }
    this.definitions.delete(name);
    this.settle(name);
    this.settings.onEvent?.({ type: 'partner_change', action: 'removed', partner: name });
    return true;
  }

  /** Current definitions, in insertion order. */
  list(): PartnerConfig[] {
    return [...this.partners.values()].map((p) => ({ ...p.config }));
  }

  /** The partner named `name`, as the verifier sees it. */
  get(name: string): Partner | undefined {
    return this.partners.get(name);
  }

  /** The current partners, without copying (for lookups on a hot path). */
  all(): IterableIterator<Partner> {
    return this.partners.values();
  }

  /**
   * The partner's principal id and realm: from the configuration, else from its metadata document
   * (fetched through its key source). Either may stay undefined (a realm can be discovered).
   */
  identityOf(partner: Partner): MaybePromise<PartnerIdentity> {
    const { applicationId, realm } = partner.config;
    if (!learnsIdentity(partner)) return { applicationId, realm };
    return partner
      .keySource!.get()
      .then((learned) => ({ applicationId: applicationId ?? learned.applicationId, realm: realm ?? learned.realm }));
  }

  /** Whether `partner` is still the current, enabled definition (used by the verified-token cache). */
  isCurrent(partner: Partner): boolean {
    return partner.config.enabled && this.partners.get(partner.config.name) === partner;
  }

  /**
   * Finds the partner an `iss` of the form `<principal id>@<realm>` names: synchronously when
   * every partner's identity is known, else after reading the metadata documents of partners
   * configured by URL without an `applicationId` / `realm`.
   */
  findByIssuer(principalId: string, realm: string): MaybePromise<IssuerMatch> {
    if (this.pendingState) {
      return this.waitForState(this.pendingState).then((ready) =>
        ready ? this.findByIssuer(principalId, realm) : { reason: 'partner_state_unavailable' as const },
      );
    }
    let realmMismatch = false;
    let unresolved = false;
    for (const partner of this.partners.values()) {
      const { applicationId, realm: partnerRealm } = partner.config;
      if (learnsIdentity(partner)) {
        unresolved ||= !applicationId || sameIdentifier(applicationId, principalId);
        continue;
      }
      if (!applicationId || !partnerRealm) continue;
      if (!sameIdentifier(applicationId, principalId)) continue;
      if (sameIdentifier(partnerRealm, realm)) return { partner, applicationId, realm: partnerRealm };
      realmMismatch = true;
    }
    if (!unresolved) return { reason: realmMismatch ? 'realm_mismatch' : 'unknown_partner' };
    return this.findAmongUnresolved(principalId, realm, realmMismatch);
  }

  private async findAmongUnresolved(principalId: string, realm: string, realmMismatch: boolean): Promise<IssuerMatch> {
    let unavailable: unknown;
    for (const partner of this.partners.values()) {
      if (!learnsIdentity(partner)) continue;
      let applicationId: string | undefined;
      let partnerRealm: string | undefined;
      try {
        ({ applicationId, realm: partnerRealm } = await this.identityOf(partner));
      } catch (e) {
        unavailable ??= e;
        continue;
      }
      if (!applicationId || !partnerRealm || !sameIdentifier(applicationId, principalId)) continue;
      if (sameIdentifier(partnerRealm, realm)) return { partner, applicationId, realm: partnerRealm };
      realmMismatch = true;
    }
    if (realmMismatch) return { reason: 'realm_mismatch' };
    return unavailable ? { reason: 'key_source_unavailable', cause: unavailable } : { reason: 'unknown_partner' };
  }

  /** Two partners whose base URLs overlap would share calls: refused, where the last one used to win. */
  private refuseOverlappingBaseUrls(config: PartnerConfig): void {
    const others = [...this.partners.values()].map((p) => p.config).filter((c) => c.name !== config.name);
    const overlap = findOverlappingBaseUrls([config, ...others]);
    if (overlap?.first === 0)
      throw new ConfigError(
        'baseUrls',
        `${overlap.url} overlaps ${overlap.other} of partner "${others[overlap.second - 1]!.name}"`,
      );
  }

  private require(name: string): Partner {
    const partner = this.partners.get(name);
    if (!partner) throw new ConfigError('name', `no partner named "${name}"`);
    return partner;
  }

  private validate(definition: unknown): PartnerConfig {
    const result = loadConfigSchema().partnerSchema.safeParse(definition);
    if (!result.success) throw toConfigError(result.error.issues);
    const source = result.data.keySource;
    const insecure =
      source &&
      source.kind !== 'certificate' &&
      insecureUrlProblem(source.url, this.settings.allowInsecureHosts, 'keySources.allowInsecureHosts');
    if (insecure) throw new ConfigError('keySource.url', insecure);
    return result.data;
  }

  private build(config: PartnerConfig, field: string): Partner {
    const source = config.keySource;
    let keySource: KeySource | undefined;
    if (source?.kind === 'certificate') {
      const keys = source.certificates.flatMap((pem, i) => {
        const at = `${field}.keySource.certificates[${i}]`;
        return parseCertificateBundle(
          readPemSource(pem, at, { secret: false, ...(this.env && { env: this.env }) }),
          at,
        ).map(keyFromCertificate);
      });
      keySource = new StaticKeySource({ keys });
    } else if (source) {
      const parse = source.kind === 'jwks' ? parseJwks : parseMetadataDocument;
      keySource = new RemoteKeySource(
        { kind: source.kind, url: source.url, owner: config.name },
        parse,
        this.settings,
        this.keyCache,
        this.clock,
      );
    }
    // Frozen all the way down: principals hand out `permissions` without copying.
    return Object.freeze({ config: deepFreeze({ ...config }), keySource });
  }
}
