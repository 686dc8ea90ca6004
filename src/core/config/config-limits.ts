/** The hard cap on the lifetime of a token our issuer mints: one hour. */
export const MAX_ISSUED_LIFETIME_SECONDS = 3600;
/** The largest `tokens.maxTokenBytes` allowed: no token we parse, nor any part of one, is longer. */
export const MAX_TOKEN_BYTES_LIMIT = 65536;
/** The highest per-partner inbound lifetime cap we allow (Exchange's actor tokens live 24 h). */
export const MAX_PARTNER_LIFETIME_SECONDS = 48 * 3600;
/**
 * The largest `tokens.clockSkewSeconds` allowed. Replay ids are kept until a token's `exp` plus
 * this much, whatever the skew is now: a reload may raise the skew, and an id forgotten at the
 * old `exp + skew` would let its token in again under the new one.
 */
export const MAX_CLOCK_SKEW_SECONDS = 600;
/** How long an external signer (an HSM, a key vault) may take for one signature, unless `signer.timeoutMs` says otherwise. */
export const DEFAULT_SIGNER_TIMEOUT_MS = 5000;
