import { TokenError } from '../errors/token-error';
import { formatAudience, formatPrincipal, parseName, sameIdentifier } from '../principal-names';
import { USER_CLAIMS, type UserIdentity } from './user-identity';

/** A validity window in seconds. */
export interface TimeWindow {
  nbf: number;
  exp: number;
}

/** A `token_malformed` refusal about `claim` (a claim or header member). */
export function malformed(claim: string, description: string): TokenError {
  return new TokenError('token_malformed', description, { claim });
}

/**
 * Reads a NumericDate (RFC 7519 section 2). Numbers must be finite. Microsoft's legacy writer
 * sent strings of decimal seconds: accepted only when `legacy` is set, and only as 1-10 digits
 * (shared/PROTOCOL.md).
 */
function numericDate(value: unknown, claim: string, legacy: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (legacy && typeof value === 'string' && /^\d{1,10}$/.test(value)) return Number(value);
  throw malformed(claim, `the ${claim} claim is not a valid NumericDate`);
}

/**
 * Checks `exp`, `nbf` and `iat` (with skew) and the lifetime cap. `exp` is required, and so is a
 * start (`nbf`, else `iat`), since a lifetime cannot be capped without one. `iat`, whenever it is
 * present, must be a NumericDate no later than now + skew and not after `exp` (RFC 7519 section
 * 4.1.6): a token "issued" in the future is not plausible. jose would accept a missing or
 * infinite `exp` and a future `iat`; we do these checks ourselves and strictly.
 */
export function checkTimeWindow(
  claims: Record<string, unknown>,
  options: { now: number; skewSeconds: number; maxLifetimeSeconds: number; legacy: boolean },
): TimeWindow {
  const exp = numericDate(claims.exp, 'exp', options.legacy);
  const iat = numericDate(claims.iat, 'iat', options.legacy);
  const nbf = numericDate(claims.nbf, 'nbf', options.legacy) ?? iat;
  if (exp === undefined) throw malformed('exp', 'the token has no exp claim');
  if (nbf === undefined) throw malformed('nbf', 'the token has neither nbf nor iat');
  if (exp <= nbf) throw malformed('exp', 'exp is not after nbf');
  if (iat !== undefined && iat > exp) throw malformed('iat', 'iat is after exp');
  const now = options.now / 1000;
  if (now > exp + options.skewSeconds) throw new TokenError('token_expired', 'the token has expired', { claim: 'exp' });
  if (now < nbf - options.skewSeconds)
    throw new TokenError('token_not_yet_valid', 'the token is not valid yet', { claim: 'nbf' });
  if (iat !== undefined && iat > now + options.skewSeconds)
    throw new TokenError('token_not_yet_valid', 'the token was issued in the future (iat)', { claim: 'iat' });
  if (exp - nbf > options.maxLifetimeSeconds) {
    throw new TokenError(
      'lifetime_too_long',
      `the token's lifetime (${exp - nbf} s) exceeds the ${options.maxLifetimeSeconds} s allowed`,
      { claim: 'exp' },
    );
  }
  return { nbf, exp };
}

/** The `iss` claim: a non-empty string (what it names is the caller's to check). */
export function issuerOf(claims: Record<string, unknown>): string {
  const iss = claims.iss;
  if (typeof iss !== 'string' || iss === '') throw malformed('iss', 'the token has no iss claim');
  return iss;
}

/** The `aud` claim (RFC 7519 section 4.1.3): a non-empty string, or a non-empty array of them. */
export function audiencesOf(claims: Record<string, unknown>): readonly string[] {
  const aud = claims.aud;
  if (typeof aud === 'string' && aud !== '') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string' && a !== ''))
    return aud as string[];
  throw malformed(
    'aud',
    aud === undefined ? 'the token has no aud claim' : 'the aud claim is not a string or an array of strings',
  );
}

/** An optional claim that, when present, must be a non-empty string. */
export function optionalString(claims: Record<string, unknown>, claim: string, label = claim): string | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw malformed(label, `the ${label} claim is not a non-empty string`);
  return value;
}

/** Who we are, for audience checks (made by {@link audienceSubject}). */
export interface AudienceSubject {
  serviceName: string;
  realms: readonly string[];
  /** Lower-cased `host` or `host:port` entries partners address us by. */
  hostnames: readonly string[];
  /** The audiences our own issuer would write for us (each one ours): most tokens' `aud` is one of them. */
  exactly: ReadonlySet<string>;
}

/** Who we are, for audience checks: built once per verifier. */
export function audienceSubject(
  serviceName: string,
  realms: readonly string[],
  hostnames: readonly string[],
): AudienceSubject {
  const subject = { serviceName, realms, hostnames: hostnames.map((h) => h.toLowerCase()) };
  const spellings = realms.flatMap((realm) => [
    formatPrincipal(serviceName, realm),
    ...subject.hostnames.map((host) => formatAudience(serviceName, host, realm)),
  ]);
  // Only what the full comparison accepts, so the shortcut can never accept more than it.
  return { ...subject, exactly: new Set(spellings.filter((a) => audienceMatch(a, subject) === 'ours')) };
}

function hostMatches(host: string, hostnames: readonly string[]): boolean {
  // A configured hostname without a port matches any port; one with a port matches only it.
  const bare = host.replace(/:\d+$/, '');
  return hostnames.some((h) => h === host || (!/:\d+$/.test(h) && h === bare));
}

/** Whether one audience is `<our principal id>[/<one of our hostnames>]@<one of our realms>`, or ours but of another realm. */
function audienceMatch(
  audience: string,
  subject: Omit<AudienceSubject, 'exactly'>,
): 'ours' | 'another realm' | undefined {
  const name = parseName(audience);
  if (!name || !sameIdentifier(name.principalId, subject.serviceName)) return undefined;
  if (name.host !== undefined && !hostMatches(name.host, subject.hostnames)) return undefined;
  const realm = name.realm.toLowerCase();
  return subject.realms.some((r) => sameIdentifier(r, name.realm) || r.toLowerCase() === realm)
    ? 'ours'
    : 'another realm';
}

/**
 * Checks `aud` (a string or an array of strings): one entry must be `<our principal id>[/<one of
 * our hostnames>]@<one of our realms>`. A realm we do not serve is reported as `realm_mismatch`.
 */
export function checkAudience(claims: Record<string, unknown>, subject: AudienceSubject): string {
  // The usual case, read without parsing: one audience, spelled as we would spell it.
  if (typeof claims.aud === 'string' && subject.exactly.has(claims.aud)) return claims.aud;
  let realmOnly = false;
  for (const audience of audiencesOf(claims)) {
    const match = audienceMatch(audience, subject);
    if (match === 'ours') return audience;
    realmOnly ||= match === 'another realm';
  }
  if (realmOnly)
    throw new TokenError('realm_mismatch', 'the token is addressed to a realm this service does not serve', {
      claim: 'aud',
    });
  throw new TokenError('audience_mismatch', 'the token is not addressed to this service', { claim: 'aud' });
}

/** The user a user-context token names, or `undefined` when it names none. */
export function userFromClaims(claims: Record<string, unknown>): (UserIdentity & { id: string }) | undefined {
  const user: UserIdentity = {};
  for (const k of USER_CLAIMS) {
    const v = optionalString(claims, k);
    if (v !== undefined) user[k] = v;
  }
  optionalString(claims, 'nii');
  const id = user.nameid ?? user.upn ?? user.smtp ?? user.sip;
  return id === undefined ? undefined : Object.freeze({ ...user, id });
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
      throw new TokenError('user_realm_mismatch', "the token names a user outside this service's realms", { claim: k });
    }
    shown = true;
  }
  if (!shown) throw new TokenError('user_realm_mismatch', "the token names a user without showing the user's realm");
}
