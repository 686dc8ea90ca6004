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

  constructor(
    current: SigningCredential,
    next: { credential: SigningCredential; effectiveAt: Date } | undefined,
    private readonly clock: Clock,
  ) {
    this.schedule = [{ credential: current, from: Number.NEGATIVE_INFINITY }];
    if (next) this.schedule.push({ credential: next.credential, from: next.effectiveAt.getTime() });
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
}
