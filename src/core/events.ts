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
  /** Whether the request was let through. */
  type: 'accepted' | 'rejected';
  /** The reason code of a rejection. */
  code?: TokenErrorCode;
  /** The HTTP status of a rejection. */
  status?: number;
  /** The partner (or authorization server, or its client) the decision concerns, once known. */
  partner?: string;
  /** The caller's realm (accepted calls). */
  realm?: string;
  /** The user a user-context call named (its preferred identifier). */
  userId?: string;
  /** Whether the verdict came from the verified-token cache (set on verifier decisions). */
  cached?: boolean;
  /**
   * How long the verification took, in ms: only when an instrumentation asks for it
   * (`timesVerification`), and only on the verifier's own decisions (not a guard's refusal).
   */
  durationMs?: number;
  /** For an outage (503): why the key source or the replay store could not answer. */
  reason?: KeySourceFailure | 'replay_store';
}

/** A key source was read, failed, or is serving keys past their TTL because a refresh failed. */
export interface KeySourceEvent {
  /** Always `key_source`. */
  type: 'key_source';
  /** Fetched; failed with nothing usable; or failed while keys past their TTL still serve. */
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
  /** Always `certificate_expiring`. */
  type: 'certificate_expiring';
  /** The partner the certificate is configured for. */
  partner: string;
  /** The certificate's SHA-1 thumbprint (public). */
  x5t: string;
  /** The end of its validity, ISO 8601. */
  notAfter: string;
  /** Whole days until `notAfter` (negative once expired). */
  daysLeft: number;
  /** It has expired: the partner's tokens signed with it are refused now. */
  expired: boolean;
  /** Its validity has not begun. */
  notYetValid: boolean;
}

/** Outbound: a token minted or obtained from an authorization server, a call refused before sending, a retry. */
export interface OutboundEvent {
  /** Always `outbound`. */
  type: 'outbound';
  /** A token minted or obtained from a server, a call refused before sending, or a 401 retried once. */
  outcome: 'minted' | 'token_requested' | 'refused' | 'retried';
  /** The partner called, when one was found. */
  partner?: string;
  /** With `refused`: the {@link PartnerFetchError} code. */
  code?: string;
  /** With `minted` / `token_requested`: whether it replaces a cached token (a refresh) rather than filling a miss. */
  refresh?: boolean;
}

/** A run-time change of this instance's partners (`s2s.partners.add / update / enable / disable / remove`). */
export interface PartnerChangeEvent {
  /** Always `partner_change`. */
  type: 'partner_change';
  /** What was done. `enable` and `disable` are updates of `enabled`. */
  action: 'added' | 'updated' | 'removed';
  /** The partner. */
  partner: string;
  /** Whether it is enabled after the change (`added`, `updated`). */
  enabled?: boolean;
}

/** A fleet's partner state: a change applied here or recorded for the fleet, or the store out of reach. */
export interface FleetEvent {
  /** Always `fleet`. */
  type: 'fleet';
  /**
   * `applied`: a change recorded elsewhere now holds here; `recorded`: a change made here reached
   * the store; `record_failed`: it did not (this instance has it, the fleet does not);
   * `invalid`: a stored record is not a change and was skipped (not JSON, no version, another
   * partner's name, an op other than enable / disable / remove); `store_reset`: the store lost its
   * memory (a Redis restarted empty) and this instance wrote back what it knows;
   * `unreachable` / `reachable`: the store.
   */
  outcome: 'applied' | 'recorded' | 'record_failed' | 'invalid' | 'store_reset' | 'unreachable' | 'reachable';
  /** The partner the change concerns (for `invalid`, only when the record's name is a possible partner name). */
  partner?: string;
}

/** The replay store's memory: it started a new epoch (it lost what it held), or its marker was junk. */
export interface ReplayStoreEvent {
  /** Always `replay_store`. */
  type: 'replay_store';
  /**
   * `new_epoch`: the store lost its memory (a Redis restarted empty), so tokens issued before
   * `since` are refused until they expire; `marker_invalid`: the store's epoch marker was not one
   * we could have written (not a number, or in the future), and was treated as missing.
   */
  outcome: 'new_epoch' | 'marker_invalid';
  /** With `new_epoch`: the epoch's start, ISO 8601. */
  since?: string;
}

/** A configuration reload: applied (what changed), or refused as a whole (why, by field). */
export interface ReloadEvent {
  /** Always `reload`. */
  type: 'reload';
  /** Applied, or refused (the running configuration stays). */
  outcome: 'applied' | 'refused';
  /** Partners added (applied). */
  added?: string[];
  /** Partners changed (applied). */
  changed?: string[];
  /** Partners removed (applied). */
  removed?: string[];
  /** Every problem, by field (refused); never a value. */
  issues?: ReadonlyArray<{
    /** The field. */
    readonly path: string;
    /** What is wrong. */
    readonly message: string;
  }>;
}

/** Our signing files changed: a new certificate scheduled, or a pair refused (kept the old one). */
export interface SigningCertificateEvent {
  /** Always `signing_certificate`. */
  type: 'signing_certificate';
  /** Scheduled (published now, signing from `effectiveAt`), or refused (half-written, mismatched, weak, expired). */
  outcome: 'scheduled' | 'refused';
  /** The new certificate's SHA-1 thumbprint (scheduled). */
  x5t?: string;
  /** When it starts signing (scheduled), ISO 8601. */
  effectiveAt?: string;
  /** Why it was refused, by field (refused); never a value. */
  issues?: ReadonlyArray<{
    /** The field. */
    readonly path: string;
    /** What is wrong. */
    readonly message: string;
  }>;
}

/** A partner's certificate files changed: its new keys are in use, or they were refused (it keeps the old). */
export interface PartnerCertificateEvent {
  /** Always `partner_certificate`. */
  type: 'partner_certificate';
  /** Reloaded, or refused (half written, not a certificate, weak). */
  outcome: 'reloaded' | 'refused';
  /** The partner. */
  partner: string;
  /** Why it was refused, by field; never a value. */
  issues?: ReadonlyArray<{
    /** The field. */
    readonly path: string;
    /** What is wrong. */
    readonly message: string;
  }>;
}

/** Every event `onEvent` receives. */
export type S2SEvent =
  | PartnerChangeEvent
  | PartnerCertificateEvent
  | VerificationEvent
  | KeySourceEvent
  | CertificateEvent
  | OutboundEvent
  | FleetEvent
  | ReplayStoreEvent
  | ReloadEvent
  | SigningCertificateEvent;

/** Receives events; must not throw. */
export type EventSink = (event: S2SEvent) => void;

/** One sink for several (`undefined` for none): each gets every event, in order; one that throws does not stop the rest. */
export function fanOut(sinks: ReadonlyArray<EventSink | undefined>): EventSink | undefined {
  const present = sinks.filter((s): s is EventSink => s !== undefined);
  if (present.length <= 1) return present[0];
  return (event) => {
    for (const sink of present) {
      try {
        sink(event);
      } catch {
        // A sink must not throw; if one does, the others still hear the event.
      }
    }
  };
}
