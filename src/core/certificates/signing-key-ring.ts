import type { Clock } from '../clock';
import type { OAuthCertificate, SigningCredential } from './oauth-certificate';

/**
 * The certificates a service signs with, and the rollover between them.
 *
 * With a scheduled `next` certificate both are published at once (so partners' metadata caches
 * learn the next key before it is used), tokens are signed with the current certificate until
 * `effectiveAt` and with the next one from then on, with no restart. After the switch the old
 * certificate stays published (as "previous") until it expires, so tokens it signed still verify.
 */
export class SigningKeyRing {
  constructor(
    private readonly current: SigningCredential,
    private readonly next: { credential: SigningCredential; effectiveAt: Date } | undefined,
    private readonly clock: Clock,
  ) {}

  /** The credential new tokens are signed with now. */
  active(): SigningCredential {
    return this.next && this.clock() >= this.next.effectiveAt.getTime() ? this.next.credential : this.current;
  }

  /** Every certificate partners should trust now: the active one first, then the others not yet expired. */
  published(): OAuthCertificate[] {
    const now = this.clock();
    const active = this.active();
    const all = [this.current, ...(this.next ? [this.next.credential] : [])];
    return [active, ...all.filter((c) => c !== active && c.notAfter.getTime() > now)];
  }
}
