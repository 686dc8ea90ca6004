import type { Clock } from '../clock';
import type { OAuthCertificate, SigningCredential } from './oauth-certificate';

/** A credential and the moment it starts signing. */
export interface ScheduledCredential {
  /** The certificate and key. */
  credential: SigningCredential;
  /** When it starts signing, ms since the epoch (`-Infinity` for the first one). */
  from: number;
}

/**
 * The certificates a service signs with, and the rollover between them.
 *
 * Every scheduled certificate is published at once (so partners' metadata caches learn the next
 * key before it is used); tokens are signed with the latest certificate whose start has come, so
 * a rollover needs no restart. A certificate that no longer signs stays published (as "previous")
 * until it expires, so tokens it signed still verify.
 */
export class SigningKeyRing {
  private readonly schedule: ScheduledCredential[];
  /** The entry the configuration's `signing.next` scheduled (a reload may replace or drop it). */
  private configuredNext: ScheduledCredential | undefined;

  constructor(
    current: SigningCredential,
    next: ScheduledCredential | undefined,
    private readonly clock: Clock,
  ) {
    this.schedule = [{ credential: current, from: Number.NEGATIVE_INFINITY }];
    if (next) this.schedule.push((this.configuredNext = next));
  }

  /** The current certificate (the one the configuration's `signing` names). */
  current(): SigningCredential {
    return this.schedule[0]!.credential;
  }

  /** The credential new tokens are signed with now. */
  active(): SigningCredential {
    const now = this.clock();
    let active = this.schedule[0]!;
    for (const entry of this.schedule) if (entry.from <= now && entry.from >= active.from) active = entry;
    return active.credential;
  }

  /** Every certificate partners should trust now: the active one first, then the others not yet expired. */
  published(): OAuthCertificate[] {
    const now = this.clock();
    const active = this.active();
    return [
      active,
      ...this.schedule.map((e) => e.credential).filter((c) => c !== active && c.notAfter.getTime() > now),
    ];
  }

  /** Every credential on the ring (current, scheduled, previous). */
  credentials(): SigningCredential[] {
    return this.schedule.map((e) => e.credential);
  }

  /** The last scheduled certificate whose start is still to come, if any. */
  scheduledNext(): ScheduledCredential | undefined {
    const now = this.clock();
    return this.schedule.filter((e) => e.from > now).at(-1);
  }

  /** Whether a certificate (by `x5t`) is already on the ring. */
  has(x5t: string): boolean {
    return this.schedule.some((e) => e.credential.x5t === x5t);
  }

  /**
   * Schedules `credential` to sign from `from` (ms) on; published at once. Used when the signing
   * files are replaced under a running service.
   */
  add(credential: SigningCredential, from: number): void {
    this.schedule.push({ credential, from });
  }

  /**
   * Replaces what the configuration's `signing.next` scheduled (a reload that changes or drops
   * it): the entry it scheduled before leaves the ring, unpublished, unless it already signs (then
   * pulling it would change the key under partners' feet); the new one, if any, is published at
   * once and signs from its start.
   */
  replaceConfiguredNext(next: ScheduledCredential | undefined): void {
    const old = this.configuredNext;
    if (old && old.from > this.clock()) this.schedule.splice(this.schedule.indexOf(old), 1);
    this.configuredNext = undefined;
    if (!next) return;
    const held = this.schedule.find((e) => e.credential.x5t === next.credential.x5t);
    if (!held) this.schedule.push(next);
    this.configuredNext = held ?? next;
  }
}
