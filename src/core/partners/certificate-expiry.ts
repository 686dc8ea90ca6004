import type { EventSink } from '../events';
import type { PartnerRegistry } from './partner-registry';
import { StaticKeySource } from './key-source';

/** How far ahead a configured certificate's expiry is reported. */
const WARN_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Reports (as `certificate_expiring` events) every partner certificate configured in the
 * configuration that has expired, is not valid yet, or expires within 30 days: such a partner's
 * tokens are, or soon will be, refused as `partner_certificate_expired`.
 */
export function reportCertificateExpiry(registry: PartnerRegistry, now: number, onEvent: EventSink): void {
  for (const partner of registry.all()) {
    if (!(partner.keySource instanceof StaticKeySource)) continue;
    for (const key of partner.keySource.fresh().keys) {
      if (key.notAfter === undefined) continue;
      const daysLeft = Math.floor((key.notAfter - now) / DAY_MS);
      const notYetValid = key.notBefore !== undefined && key.notBefore > now;
      if (daysLeft >= WARN_DAYS && !notYetValid) continue;
      onEvent({
        type: 'certificate_expiring',
        partner: partner.config.name,
        x5t: key.x5t ?? '',
        notAfter: new Date(key.notAfter).toISOString(),
        daysLeft,
        expired: key.notAfter <= now,
        notYetValid,
      });
    }
  }
}
