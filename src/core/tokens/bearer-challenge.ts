/**
 * Builds `WWW-Authenticate: Bearer ...` challenges (RFC 6750 section 3). One function, so every
 * response escapes its parameters the same way: quoted-string rules (RFC 9110 section 5.6.4),
 * with control characters removed, so a value can never break or inject into the header.
 */

/**
 * Quotes a challenge parameter value. Only printable ASCII survives: control characters become
 * spaces and every other character (non-ASCII, which Node refuses in a header above U+00FF and
 * clients decode inconsistently below it) becomes `?`, so every value makes a header Node can send.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const NOT_PRINTABLE_ASCII = /[^\u0020-\u007e]/g;

export function quoteParameter(value: string): string {
  const printable = String(value).replace(CONTROL, ' ').replace(NOT_PRINTABLE_ASCII, '?');
  return `"${printable.replace(/[\\"]/g, '\\$&')}"`;
}

/** The fixed part of a service's challenge: `realm` first (clients read it by position), then `client_id` and `trusted_issuers`. */
export interface ChallengeParameters {
  realm: string;
  clientId: string;
  trustedIssuers: readonly string[];
  authorizationUri?: string;
}

/** Returns a builder that appends `error` / `error_description` to the service's fixed challenge. */
export function createChallengeBuilder(
  parameters: ChallengeParameters,
): (error?: string, description?: string) => string {
  const base =
    `Bearer realm=${quoteParameter(parameters.realm)}, client_id=${quoteParameter(parameters.clientId)}` +
    `, trusted_issuers=${quoteParameter(parameters.trustedIssuers.join(','))}` +
    (parameters.authorizationUri ? `, authorization_uri=${quoteParameter(parameters.authorizationUri)}` : '');
  return (error, description) =>
    error
      ? `${base}, error=${quoteParameter(error)}${description ? `, error_description=${quoteParameter(description)}` : ''}`
      : base;
}
