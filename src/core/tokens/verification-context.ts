import { TokenError } from '../errors/token-error';
import type { MaybePromise } from '../maybe-async';
import { KeySourceUnavailable } from '../partners/key-source';
import type { Partner } from '../partners/partner-registry';
import type { AudienceSubject, TimeWindow } from './claim-checks';
import type { Principal } from './principal';

/*
 * What the verification steps share: who we are, the time, the limits, and the trace `token
 * explain` reads. The steps import this module, never the verifier.
 */

/**
 * Records a passed check for `token explain`. Undefined when nobody listens, and always called as
 * `trace?.(...)`, so on the hot path the detail strings are never even built. A trace only ever
 * narrates: no check may sit inside its arguments.
 */
export type Trace = ((check: string, detail: string) => void) | undefined;

/** One verification's view of the service and the moment. */
export interface VerificationContext {
  /** Now, in ms. */
  readonly now: number;
  readonly skewSeconds: number;
  /** The inbound lifetime cap, unless a partner sets its own. */
  readonly maxLifetimeSeconds: number;
  /** Who we are, for audience checks. */
  readonly us: AudienceSubject;
  readonly trace: Trace;
}

/** A partner's token whose signature, time window and audience passed. */
export interface SignedToken {
  partner: Partner;
  applicationId: string;
  realm: string;
  claims: Record<string, unknown>;
  window: TimeWindow;
}

/** The outcome of a verification that passed. */
export interface Verified {
  principal: Principal;
  /** The partner behind a self-issued token (undefined for authorization-server tokens). */
  partner: Partner | undefined;
  /** Tokens whose `jti` must be unique are never served from the verified-token cache. */
  uniqueJti: boolean;
}

/** The time-window rules for a partner: its own lifetime cap, and the legacy string times if configured for them. */
export function timeRulesFor(partner: Partner | undefined, context: VerificationContext) {
  return {
    now: context.now,
    skewSeconds: context.skewSeconds,
    maxLifetimeSeconds: partner?.config.maxTokenLifetimeSeconds ?? context.maxLifetimeSeconds,
    legacy: partner?.config.legacyTokens ?? false,
  };
}

/** The refusal for keys that cannot be fetched: an outage, not a bad token. */
export function keySourceRefusal(error: KeySourceUnavailable, partner?: string): TokenError {
  return new TokenError('key_source_unavailable', "the partner's keys cannot be fetched right now", {
    cause: error,
    retryAfterSeconds: error.retryAfterSeconds,
    ...(partner !== undefined && { partner }),
  });
}

/**
 * Runs the steps of one partner or server, so that every refusal they raise names it (for events
 * and logs): one helper, where there were four idioms. A key-source outage becomes its refusal.
 */
export function concerning<T>(name: string, steps: () => MaybePromise<T>): MaybePromise<T> {
  try {
    const result = steps();
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(naming(error, name))) : result;
  } catch (error) {
    throw naming(error, name);
  }
}

/** A refusal that names `name` (unless it names someone already); an outage its refusal. */
function naming(error: unknown, name: string): unknown {
  if (error instanceof KeySourceUnavailable) return keySourceRefusal(error, name);
  return error instanceof TokenError && error.partner === undefined ? error.with({ partner: name }) : error;
}

/** A NumericDate as ISO 8601, for `token explain`. */
export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
