import { TokenError } from '../errors/token-error';

/** What bearer extraction needs of a request, whatever the framework. */
export interface BearerRequestLike {
  headers: Record<string, string | string[] | undefined>;
  /** Parsed query string, when the framework has one. */
  query?: unknown;
  /** Parsed body, when the framework has one. */
  body?: unknown;
}

/** RFC 6750 section 2.1: `Bearer` SP b64token (one space: passport-http-bearer splits on it). */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const BEARER_SCHEME_ONLY = /^Bearer *$/i;

function hasAccessToken(container: unknown): boolean {
  return typeof container === 'object' && container !== null && (container as Record<string, unknown>).access_token !== undefined;
}

/**
 * Takes the token from the `Authorization` header, and only from there: a token in the query
 * string leaks into logs and caches (RFC 6750 section 5.3), so `access_token` in the query or
 * body is refused with 400, not silently read. No header, another scheme, or an empty
 * `Authorization: Bearer` (how callers discover our realm) gives 401 with a challenge and no error.
 */
export function extractBearerToken(request: BearerRequestLike): string {
  if (hasAccessToken(request.query) || hasAccessToken(request.body)) {
    throw new TokenError('token_in_query_or_body', 'send the token in the Authorization header only');
  }
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '' || BEARER_SCHEME_ONLY.test(value) || !/^Bearer /i.test(value)) {
    throw new TokenError('token_missing', 'no bearer token');
  }
  const match = BEARER.exec(value);
  if (!match) throw new TokenError('malformed_authorization_header', 'the Authorization header is not "Bearer <token>"');
  return match[1]!;
}
