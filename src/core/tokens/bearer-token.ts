import { TokenError } from '../errors/token-error';

/** What bearer extraction needs of a request, whatever the framework. */
export interface BearerRequestLike {
  headers: Record<string, string | string[] | undefined>;
  /** Parsed query string, when the framework has one. */
  query?: unknown;
  /** Parsed body, when the framework has one. */
  body?: unknown;
  /**
   * Node's `rawHeaders` (name, value, name, value, ...), when the framework has them: Node keeps
   * only the first of two `Authorization` headers in `headers`, so only these show a second one.
   */
  rawHeaders?: readonly string[];
}

/** How many `Authorization` headers the raw list holds. */
function authorizationHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // The usual spellings compared as they are: lower-casing allocates, on every request.
    if (name === 'Authorization' || (name.length === 13 && name.toLowerCase() === 'authorization')) count++;
  }
  return count;
}

/** RFC 6750 section 2.1: `Bearer` SP b64token, with exactly one space. */
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;
const BEARER_PREFIX_LENGTH = 'Bearer '.length;
const BEARER_SCHEME_ONLY = /^Bearer *$/i;

function hasAccessToken(container: unknown): boolean {
  return (
    typeof container === 'object' &&
    container !== null &&
    (container as Record<string, unknown>).access_token !== undefined
  );
}

/**
 * Takes the token from the `Authorization` header, and only from there: a token in the query
 * string leaks into logs and caches (RFC 6750 section 5.3), so `access_token` in the query or
 * body is refused with 400, not silently read, and so are two `Authorization` headers. No header, another scheme, or an empty
 * `Authorization: Bearer` (how callers discover our realm) gives 401 with a challenge and no error.
 */
export function extractBearerToken(request: BearerRequestLike): string {
  if (hasAccessToken(request.query) || hasAccessToken(request.body)) {
    throw new TokenError('token_in_query_or_body', 'send the token in the Authorization header only');
  }
  const header = request.headers.authorization;
  // Two headers are refused: Node reads the first, a proxy in front of us may have read the last.
  if (
    (Array.isArray(header) && header.length > 1) ||
    (request.rawHeaders && authorizationHeaderCount(request.rawHeaders) > 1)
  ) {
    throw new TokenError('malformed_authorization_header', 'the request has more than one Authorization header');
  }
  const value = Array.isArray(header) ? header[0] : header;
  // The well-formed header first: one pass over it on every request, the other tests only to word a refusal.
  if (value !== undefined && BEARER.test(value)) return value.slice(BEARER_PREFIX_LENGTH);
  if (value === undefined || value === '' || BEARER_SCHEME_ONLY.test(value) || !/^Bearer /i.test(value)) {
    throw new TokenError('token_missing', 'no bearer token');
  }
  throw new TokenError('malformed_authorization_header', 'the Authorization header is not "Bearer <token>"');
}
