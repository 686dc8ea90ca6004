import { TokenError } from '../errors/token-error';
import { audiencesOf, checkTimeWindow, issuerOf, malformed, userFromClaims, type TimeWindow } from './claim-checks';
import type { CompactJws } from './compact-jws';
import { checkOuterHeader } from './token-header';
import type { UserIdentity } from './user-identity';
import type { Partner } from '../partners/partner-registry';

/*
 * Microsoft's legacy user-context token (shared/PROTOCOL.md): an UNSIGNED outer token naming the
 * user, carrying the calling service's signed actor token in `actortoken`. Trust comes from the
 * actor token alone; the outer token may contribute the user's identity and nothing else.
 */

/** The legacy outer token's window is recomputed by its writer: allow it this far outside the actor's. */
const LEGACY_WINDOW_SLACK_SECONDS = 5;

/**
 * The actor token an unsigned outer token carries. An unsigned token without one is simply an
 * unsigned token, refused as such. The outer token's form is {@link checkOuterForm}'s.
 */
export function actorTokenOf(outer: CompactJws): string {
  const actorToken = outer.payload.actortoken;
  if (actorToken === undefined)
    throw new TokenError('algorithm_not_allowed', 'unsigned tokens are refused', { claim: 'alg' });
  if (typeof actorToken !== 'string') throw malformed('actortoken', 'the actortoken claim is not a token');
  return actorToken;
}

/**
 * The outer token's own form: its header (`typ` and `alg: none` only, no `crit`) and an empty
 * signature (RFC 7519 section 6.1). Checked once the actor's
 * partner is known to accept the legacy form, so a legacy-form token from anyone else hears
 * `legacy_token_refused` first, whatever else is wrong with its outer token.
 */
export function checkOuterForm(outer: CompactJws): void {
  checkOuterHeader(outer.header);
  if (!outer.unsigned) throw malformed('signature', 'an unsigned token must have an empty signature');
}

/** The signed actor token: never unsigned itself, never nesting another. */
export function checkActorTokenForm(actor: CompactJws): void {
  if (actor.header.alg === 'none' || actor.payload.actortoken !== undefined) {
    throw malformed('actortoken', 'the actor token must be signed and cannot nest another');
  }
}

/**
 * A partner must be configured for the legacy form. Looked at before any claim of the actor token,
 * so such a token from another partner hears `legacy_token_refused`, whatever else is wrong with it.
 */
export function checkLegacyAllowed(partner: Partner): void {
  if (!partner.config.legacyTokens)
    throw new TokenError('legacy_token_refused', 'this partner is not configured for legacy user-context tokens');
}

/** What the outer token may contribute, once it agrees with its actor token. */
export interface OuterContribution {
  user: UserIdentity & { id: string };
  /** The window both tokens allow. */
  window: TimeWindow;
}

/**
 * The outer token must agree with the signed actor token it carries: the actor is trusted for
 * delegation, the outer `iss` is the actor's `nameid`, the audiences are the same, and the outer
 * window lies within the actor's (give or take a few seconds). Then it names the user.
 */
export function checkOuterAgreesWithActor(
  outerClaims: Record<string, unknown>,
  actorClaims: Record<string, unknown>,
  actor: string,
  actorWindow: TimeWindow,
  timeOptions: Parameters<typeof checkTimeWindow>[1],
): OuterContribution {
  const delegation = actorClaims.trustedfordelegation;
  if (delegation !== true && delegation !== 'true')
    throw new TokenError('actor_mismatch', 'the actor token is not trusted for delegation', {
      claim: 'trustedfordelegation',
    });
  if (issuerOf(outerClaims) !== actor)
    throw new TokenError('actor_mismatch', "the outer token's iss differs from its actor token's nameid", {
      claim: 'iss',
    });
  const outerAudiences = audiencesOf(outerClaims);
  const actorAudiences = audiencesOf(actorClaims);
  if (outerAudiences.length !== actorAudiences.length || outerAudiences.some((a, i) => a !== actorAudiences[i])) {
    throw new TokenError('actor_mismatch', "the outer token's aud differs from its actor token's", { claim: 'aud' });
  }
  const window = checkTimeWindow(outerClaims, timeOptions);
  if (
    window.nbf < actorWindow.nbf - LEGACY_WINDOW_SLACK_SECONDS ||
    window.exp > actorWindow.exp + LEGACY_WINDOW_SLACK_SECONDS
  ) {
    throw new TokenError('actor_mismatch', "the outer token's validity lies outside its actor token's", {
      claim: 'exp',
    });
  }
  const user = userFromClaims(outerClaims);
  if (!user) throw malformed('nameid', 'the legacy outer token names no user');
  return { user, window: { nbf: Math.max(window.nbf, actorWindow.nbf), exp: Math.min(window.exp, actorWindow.exp) } };
}
