/**
 * The user a call is made on behalf of, by any of the identifiers Microsoft servers use.
 * At least one must be given. Prefer the immutable `nameid` where the partner knows it.
 */
export interface UserIdentity {
  /** An immutable user identifier (sent with `nii` = `urn:office:idp:activedirectory`). */
  nameid?: string;
  /** User principal name, e.g. `alice@contoso.com`. */
  upn?: string;
  /** Primary SMTP address (Exchange). */
  smtp?: string;
  /** SIP address (Skype for Business), with or without the `sip:` prefix. */
  sip?: string;
}

/** The claim names that identify a user, in the order they are preferred. */
export const USER_CLAIMS = ['nameid', 'upn', 'smtp', 'sip'] as const;

/** The identity provider marker Microsoft pairs with a user `nameid`. */
export const ACTIVE_DIRECTORY_NII = 'urn:office:idp:activedirectory';

/** Throws a `TypeError` unless the identity names the user by at least one non-empty identifier. */
export function assertUserIdentity(user: UserIdentity, field = 'user'): void {
  const given = USER_CLAIMS.filter((k) => user[k] !== undefined);
  if (given.length === 0) throw new TypeError(`${field}: name the user by at least one of nameid, upn, smtp or sip`);
  for (const k of given) {
    if (typeof user[k] !== 'string' || user[k]!.trim() === '')
      throw new TypeError(`${field}.${k}: expected a non-empty string`);
  }
}

/** The user claims to put in a token (with `nii` when `nameid` is used). */
export function userClaims(user: UserIdentity): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const k of USER_CLAIMS) if (user[k]) claims[k] = user[k]!;
  if (user.nameid) claims.nii = ACTIVE_DIRECTORY_NII;
  return claims;
}
