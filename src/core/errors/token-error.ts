/**
 * A stable reason code: tests, logs and metrics carry these; the messages may change, the codes
 * do not. The README's error-code table says what each means; {@link TOKEN_ERROR_CODES} gives
 * each its RFC 6750 `error` and HTTP status.
 */
export type TokenErrorCode =
  | 'malformed_authorization_header'
  | 'token_in_query_or_body'
  | 'token_missing'
  | 'token_too_large'
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'crit_header_refused'
  | 'unknown_partner'
  | 'partner_disabled'
  | 'realm_mismatch'
  | 'key_not_found'
  | 'partner_certificate_expired'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'lifetime_too_long'
  | 'audience_mismatch'
  | 'legacy_token_refused'
  | 'actor_mismatch'
  | 'token_replayed'
  | 'replay_unverifiable'
  | 'app_only_not_allowed'
  | 'user_context_not_allowed'
  | 'user_realm_mismatch'
  | 'user_context_required'
  | 'app_only_required'
  | 'trust_level_insufficient'
  | 'permission_denied'
  | 'key_source_unavailable'
  | 'replay_store_unavailable'
  | 'partner_state_unavailable';

/** The RFC 6750 `error` and the HTTP status a code is answered with. */
export interface TokenErrorCodeInfo {
  /** The RFC 6750 `error` (none for 401 without a token, and for 503). */
  readonly error: BearerErrorValue | undefined;
  /** The HTTP status: 400, 401, 403 or 503. */
  readonly status: number;
}

/** Every {@link TokenErrorCode} with its RFC 6750 `error` and HTTP status. */
export const TOKEN_ERROR_CODES: Readonly<Record<TokenErrorCode, TokenErrorCodeInfo>> = {
  // 400 invalid_request: the request itself is malformed.
  malformed_authorization_header: { error: 'invalid_request', status: 400 },
  token_in_query_or_body: { error: 'invalid_request', status: 400 },
  // 401 without an error: no token presented (RFC 6750 section 3.1).
  token_missing: { error: undefined, status: 401 },
  // 401 invalid_token: the token is not acceptable.
  token_too_large: { error: 'invalid_token', status: 401 },
  token_malformed: { error: 'invalid_token', status: 401 },
  algorithm_not_allowed: { error: 'invalid_token', status: 401 },
  crit_header_refused: { error: 'invalid_token', status: 401 },
  unknown_partner: { error: 'invalid_token', status: 401 },
  partner_disabled: { error: 'invalid_token', status: 401 },
  realm_mismatch: { error: 'invalid_token', status: 401 },
  key_not_found: { error: 'invalid_token', status: 401 },
  partner_certificate_expired: { error: 'invalid_token', status: 401 },
  signature_invalid: { error: 'invalid_token', status: 401 },
  token_expired: { error: 'invalid_token', status: 401 },
  token_not_yet_valid: { error: 'invalid_token', status: 401 },
  lifetime_too_long: { error: 'invalid_token', status: 401 },
  audience_mismatch: { error: 'invalid_token', status: 401 },
  legacy_token_refused: { error: 'invalid_token', status: 401 },
  actor_mismatch: { error: 'invalid_token', status: 401 },
  token_replayed: { error: 'invalid_token', status: 401 },
  replay_unverifiable: { error: 'invalid_token', status: 401 },
  // 403 insufficient_scope: an authentic caller without the authority for this.
  app_only_not_allowed: { error: 'insufficient_scope', status: 403 },
  user_context_not_allowed: { error: 'insufficient_scope', status: 403 },
  user_realm_mismatch: { error: 'insufficient_scope', status: 403 },
  user_context_required: { error: 'insufficient_scope', status: 403 },
  app_only_required: { error: 'insufficient_scope', status: 403 },
  trust_level_insufficient: { error: 'insufficient_scope', status: 403 },
  permission_denied: { error: 'insufficient_scope', status: 403 },
  // 503: an outage, not a bad token.
  key_source_unavailable: { error: undefined, status: 503 },
  replay_store_unavailable: { error: undefined, status: 503 },
  partner_state_unavailable: { error: undefined, status: 503 },
};

/** The RFC 6750 `error` value. */
export type BearerErrorValue = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** What a {@link TokenError} may carry besides its code and description. */
export interface TokenErrorOptions {
  /**
   * What caused an outage: a `KeySourceUnavailable` (with its `reason`) behind
   * `key_source_unavailable`, the store's own error behind `replay_store_unavailable`.
   */
  cause?: unknown;
  /** Seconds after which a 503 may be retried (sent as `Retry-After`). */
  retryAfterSeconds?: number;
  /** The claim or header member the refusal is about. */
  claim?: string;
  /** The partner (or authorization server, or its client) the refusal concerns. */
  partner?: string;
  /** The response headers (`WWW-Authenticate`, `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Why a token (or a request carrying one) was refused: a stable `code`, the RFC 6750 `error`,
 * the HTTP `status`, the `partner` it concerns and the response `headers` (`WWW-Authenticate`,
 * and `Retry-After` on 503). Every field is read-only: a refusal is made whole, by the verifier
 * (or an adapter through it), and never changed in flight. The message never contains the token.
 *
 * Express's error handler honours `status` and `headers`, so `next(error)` is enough;
 * `s2s.errorHandler()` also answers with `{ error, code }`.
 */
export class TokenError extends Error {
  /** Always `TokenError`. */
  override readonly name = 'TokenError';
  /** The stable reason code. */
  readonly code: TokenErrorCode;
  /** The RFC 6750 `error` (none for a missing token and for 503). */
  readonly error: BearerErrorValue | undefined;
  /** The HTTP status: 400, 401, 403 or 503. */
  readonly status: number;
  /** Alias of `status`, for frameworks that read `statusCode`. */
  readonly statusCode: number;
  /** Response headers to send with the error (empty until the verifier made the refusal whole). */
  readonly headers: Readonly<Record<string, string>>;
  /** The partner the error concerns, once it is known (for events and logs). */
  readonly partner?: string;
  /** Seconds after which a 503 may be retried. */
  readonly retryAfterSeconds?: number;
  /**
   * The claim or header member a refusal is about (`exp`, `aud`, `act.nameid`, `kid`, ...), so
   * logs can tell "no exp" from "act without nameid" without parsing messages (as jose's `claim`).
   */
  readonly claim?: string;

  constructor(code: TokenErrorCode, description: string, options: TokenErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.error = TOKEN_ERROR_CODES[code].error;
    this.status = TOKEN_ERROR_CODES[code].status;
    this.statusCode = this.status;
    this.headers = Object.freeze({ ...options.headers });
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.claim !== undefined) this.claim = options.claim;
    if (options.partner !== undefined) this.partner = options.partner;
  }

  /** A new refusal like this one with `changes` (a partner, the headers): the original is not touched. */
  with(changes: Pick<TokenErrorOptions, 'partner' | 'headers'>): TokenError {
    const { cause, retryAfterSeconds, claim, partner, headers } = this;
    return new TokenError(this.code, this.message, { cause, retryAfterSeconds, claim, partner, headers, ...changes });
  }
}
