import { formatAudience } from '../core/principal-names';
import type { TokenAudience } from '../core/tokens/token-issuer';

/**
 * Whom a test token is for: the service's configuration (its `serviceName`, first hostname and
 * realm; a {@link createTestService} result is one), a {@link TokenAudience}, or the exact `aud`
 * string (to send a wrong one on purpose).
 */
export type AudienceTarget =
  | string
  | TokenAudience
  | {
      /** The service's principal id. */
      readonly serviceName: string;
      /** Its hostnames: the first is the host part of the audience. */
      readonly hostnames: readonly string[];
      /** Its realm. Default: the test partner's realm. */
      readonly realm?: string;
    };

/** The `aud` claim for a target; `fallbackRealm` when a configuration leaves its realm to be derived. */
export function audienceOf(target: AudienceTarget | undefined, fallbackRealm: string): string {
  if (typeof target === 'string') return target;
  if (target === undefined || target === null || typeof target !== 'object')
    throw new TypeError(
      'audience: name the service the token is for (its configuration, e.g. the result of createTestService, or an aud string)',
    );
  if ('principalId' in target) return formatAudience(target.principalId, target.host, target.realm);
  const host = target.hostnames?.[0];
  if (typeof target.serviceName !== 'string' || typeof host !== 'string')
    throw new TypeError('audience: a service configuration needs serviceName and at least one of hostnames');
  return formatAudience(target.serviceName, host, target.realm ?? fallbackRealm);
}
