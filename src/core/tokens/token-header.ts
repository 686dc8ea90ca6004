import { TokenError } from '../errors/token-error';
import { malformed } from './claim-checks';
import { isAllowedAlgorithm, type AllowedAlgorithm } from './signature-algorithms';

/*
 * Checks of a token's JOSE header (RFC 7515 section 4). Nothing a header says is echoed into a
 * refusal: its values are attacker-chosen, and a refusal's text ends up in `WWW-Authenticate`.
 */

/**
 * `typ` values we accept (compared case-insensitively, RFC 7515 section 4.1.9): Microsoft's and
 * our `JWT`, and RFC 9068 access tokens from authorization servers. Anything else (a client
 * assertion, a logout or security-event token) is a JWT made for another purpose.
 */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
/** Base64url of a SHA-1 (`x5t`, 20 bytes) and a SHA-256 (`x5t#S256`, 32 bytes) thumbprint. */
const SHA1_THUMBPRINT = /^[A-Za-z0-9_-]{27}$/;
const SHA256_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const MAX_KID_LENGTH = 256;

/**
 * The header of a signed token: an allowed algorithm, no `crit`, and `typ`, `kid`, `x5t` and
 * `x5t#S256` of the right type and shape when present. Returns the algorithm.
 */
export function checkSignedHeader(header: Record<string, unknown>): AllowedAlgorithm {
  const { alg, typ, kid, x5t } = header;
  // The value is not named: it is the token's, and would be copied into the challenge.
  if (!isAllowedAlgorithm(alg))
    throw new TokenError('algorithm_not_allowed', "the token's algorithm is not allowed", { claim: 'alg' });
  if (header.crit !== undefined)
    throw new TokenError('crit_header_refused', 'tokens with critical header extensions are refused', {
      claim: 'crit',
    });
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase())))
    throw malformed('typ', 'the typ header is not JWT or at+jwt');
  if (kid !== undefined && (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH))
    throw malformed('kid', 'the kid header is not a key id');
  if (x5t !== undefined && (typeof x5t !== 'string' || !SHA1_THUMBPRINT.test(x5t)))
    throw malformed('x5t', 'the x5t header is not a SHA-1 thumbprint');
  const x5tS256 = header['x5t#S256'];
  if (x5tS256 !== undefined && (typeof x5tS256 !== 'string' || !SHA256_THUMBPRINT.test(x5tS256)))
    throw malformed('x5t#S256', 'the x5t#S256 header is not a SHA-256 thumbprint');
  return alg;
}

/**
 * The header of Microsoft's unsigned outer token: `{"typ":"JWT","alg":"none"}` and nothing else.
 * It is held to the same strictness as a signed header: `crit` refused, no other member.
 */
export function checkOuterHeader(header: Record<string, unknown>): void {
  if (header.crit !== undefined)
    throw new TokenError('crit_header_refused', 'tokens with critical header extensions are refused', {
      claim: 'crit',
    });
  for (const member in header) {
    if (member !== 'alg' && member !== 'typ')
      throw malformed('header', "the legacy outer token's header has members other than typ and alg");
  }
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'jwt'))
    throw malformed('typ', 'the typ header is not JWT');
}
