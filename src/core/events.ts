import type { TokenErrorCode } from './errors/token-error';

/*
 * What the library reports as it works: structured events, never a token, a key or a secret. The
 * core emits them; applications route them to logs and metrics through `onEvent`.
 */

/** Why a key source (or an authorization server's metadata) could not be read. */
export type KeySourceFailure =
  'timeout' | 'network' | 'http_status' | 'too_large' | 'insecure_url' | 'redirect' | 'bad_document';

/** An inbound accept / reject decision. */
export interface VerificationEvent {
  type: 'accepted' | 'rejected';
  /** The reason code of a rejection. */
  code?: TokenErrorCode;
  status?: number;
  /** The partner (or authorization server, or its client) the decision concerns, once known. */
  partner?: string;
  realm?: string;
  /** The user a user-context call named (its preferred identifier). */
  userId?: string;
  /** Whether an acceptance came from the verified-token cache. */
  cached?: boolean;
  /** For an outage (503): why the key source or the replay store could not answer. */
  reason?: KeySourceFailure | 'replay_store';
}

/** A key source was read, failed, or is serving keys past their TTL because a refresh failed. */
export interface KeySourceEvent {
  type: 'key_source';
  outcome: 'fetched' | 'failed' | 'stale';
  /** The partner or authorization server whose keys (or metadata) these are. */
  owner: string;
  /** The URL fetched (public; never a token or key). */
  url: string;
  /** Why it failed (with `failed` and `stale`). */
  reason?: KeySourceFailure;
}

/** A configured partner certificate has expired, is not valid yet, or expires within 30 days (at start-up). */
export interface CertificateEvent {
  type: 'certificate_expiring';
  partner: string;
  /** The certificate's SHA-1 thumbprint (public). */
  x5t: string;
  notAfter: string;
  /** Whole days until `notAfter` (negative once expired). */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
}

/** Outbound: a token minted or obtained from an authorization server, a call refused before sending, a retry. */
export interface OutboundEvent {
  type: 'outbound';
  outcome: 'minted' | 'token_requested' | 'refused' | 'retried';
  /** The partner called, when one was found. */
  partner?: string;
  /** With `refused`: the {@link PartnerFetchError} code. */
  code?: string;
}

/** Every event `onEvent` receives. */
export type S2SEvent = VerificationEvent | KeySourceEvent | CertificateEvent | OutboundEvent;

/** Receives events; must not throw. */
export type EventSink = (event: S2SEvent) => void;
