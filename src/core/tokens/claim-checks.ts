import { TokenError } from '../errors/token-error';
import { parseName, sameIdentifier } from './principal-names';
import { USER_CLAIMS, type UserIdentity } from './user-identity';

/** A validity window in seconds. */
export interface TimeWindow {
  nbf: number;
  exp: number;
}

/**
 * Reads a NumericDate. Numbers must be finite. Microsoft's legacy writer sent strings of decimal
 * seconds: accepted only when `legacy` is set, and only as 1-10 digits (shared/PROTOCOL.md).
 */
function numericDate(value: unknown, claim: string, legacy: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (legacy && typeof value === 'string' && /^\d{1,10}$/.test(value)) return Number(value);
  throw new TokenError('token_malformed', `the ${claim} claim is not a valid NumericDate`);
}

/**
 * Checks `nbf` / `exp` (with skew) and the lifetime cap. `exp` is required, and so is a start
 * (`nbf`, else `iat`), since a lifetime cannot be capped without one. jose would accept a missing
 * or infinite `exp`; we do these checks ourselves and strictly.
 */
export function checkTimeWindow(
  claims: Record<string, unknown>,
  options: { now: number; skewSeconds: number; maxLifetimeSeconds: number; legacy: boolean },
): TimeWindow {
  const exp = numericDate(claims.exp, 'exp', options.legacy);
  const nbf = numericDate(claims.nbf, 'nbf', options.legacy) ?? numericDate(claims.iat, 'iat', options.legacy);
  if (exp === undefined) throw new TokenError('token_malformed', 'the token has no exp claim');
  if (nbf === undefined) throw new TokenError('token_malformed', 'the token has neither nbf nor iat');
  if (exp <= nbf) throw new TokenError('token_malformed', 'exp is not after nbf');
  const now = options.now / 1000;
  if (now > exp + options.skewSeconds) throw new TokenError('token_expired', 'the token has expired');
  if (now < nbf - options.skewSeconds) throw new TokenError('token_not_yet_valid', 'the token is not valid yet');
  if (exp - nbf > options.maxLifetimeSeconds) {
    throw new TokenError('lifetime_too_long', `the token's lifetime (${exp - nbf} s) exceeds the ${options.maxLifetimeSeconds} s allowed`);
  }
  return { nbf, exp };
}

/** Who we are, for audience checks. */
export interface AudienceSubject {
  serviceName: string;
  realms: readonly string[];
  /** Lower-cased `host` or `host:port` entries partners address us by. */
  hostnames: readonly string[];
}

function hostMatches(host: string, hostnames: readonly string[]): boolean {
  // A configured hostname without a port matches any port; one with a port matches only it.
  const bare = host.replace(/:\d+$/, '');
  return hostnames.some((h) => h === host || (!/:\d+$/.test(h) && h === bare));
}

/**
 * Checks `aud` (a string or an array of strings): one entry must be `<our principal id>[/<one of
 * our hostnames>]@<one of our realms>`. A realm we do not serve is reported as `realm_mismatch`.
 */
export function checkAudience(aud: unknown, subject: AudienceSubject): string {
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
  if (audiences.length === 0) throw new TokenError('token_malformed', 'the token has no aud claim');
  let realmOnly = false;
  for (const audience of audiences) {
    const name = parseName(audience);
    if (!name || !sameIdentifier(name.principalId, subject.serviceName)) continue;
    if (name.host !== undefined && !hostMatches(name.host, subject.hostnames)) continue;
    if (subject.realms.some((r) => sameIdentifier(r, name.realm) || r.toLowerCase() === name.realm.toLowerCase())) return audience;
    realmOnly = true;
  }
  if (realmOnly) throw new TokenError('realm_mismatch', 'the token is addressed to a realm this service does not serve');
  throw new TokenError('audience_mismatch', 'the token is not addressed to this service');
}

/** The user a user-context token names, or `undefined` when it names none. */
export function userFromClaims(claims: Record<string, unknown>): (UserIdentity & { id: string }) | undefined {
  const user: UserIdentity = {};
  for (const k of USER_CLAIMS) {
    const v = claims[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new TokenError('token_malformed', `the ${k} claim is not a non-empty string`);
    user[k] = v;
  }
  const id = user.nameid ?? user.upn ?? user.smtp ?? user.sip;
  return id === undefined ? undefined : { ...user, id };
}

/**
 * Only users of our own realm(s) may be named: every user identifier that carries a domain must
 * carry one of ours, and at least one must (a bare `nameid` alone cannot show the user's realm).
 */
export function checkUserRealm(user: UserIdentity, realms: readonly string[]): void {
  const ours = realms.map((r) => r.toLowerCase());
  let shown = false;
  for (const k of USER_CLAIMS) {
    const value = user[k]?.replace(/^sip:/i, '');
    if (!value || !value.includes('@')) continue;
    if (!ours.includes(value.slice(value.lastIndexOf('@') + 1).toLowerCase())) {
      throw new TokenError('user_realm_mismatch', 'the token names a user outside this service\'s realms');
    }
    shown = true;
  }
  if (!shown) throw new TokenError('user_realm_mismatch', 'the token names a user without showing the user\'s realm');
}
