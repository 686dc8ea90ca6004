import { rememberWithin, type ReplayStore } from '../caches/replay-store';
import { TokenError } from '../errors/token-error';
import { MAX_CLOCK_SKEW_SECONDS } from '../config/config-limits';
import { chain, type MaybePromise } from '../maybe-async';
import type { IssuerMatch, Partner } from '../partners/partner-registry';
import { formatPrincipal, isPrincipal } from '../principal-names';
import { checkAudience, checkTimeWindow, checkUserRealm, optionalString, userFromClaims } from './claim-checks';
import type { CompactJws } from './compact-jws';
import { deepFreeze, type Principal } from './principal';
import type { AllowedAlgorithm } from './signature-algorithms';
import { checkSignature, describeKey } from './signature-check';
import { iso, timeRulesFor, type SignedToken, type VerificationContext, type Verified } from './verification-context';

/*
 * The steps of a partner's self-issued token after its signature: who acts, for whom, whether the
 * partner's trust level allows it, the principal, and replay.
 */

/** The signed part of a partner's token: checkSignature (its keys only) -> checkWindow -> checkAudience. */
export function checkSignedPartnerToken(
  jws: CompactJws,
  alg: AllowedAlgorithm,
  match: IssuerMatch & { partner: Partner },
  context: VerificationContext,
): MaybePromise<SignedToken> {
  const { partner } = match;
  const { trace } = context;
  trace?.(
    'partner',
    `${partner.config.name} (${match.applicationId}@${match.realm}, trust ${partner.config.trustLevel})`,
  );
  return chain(checkSignature(jws, alg, partner.keySource, context), (key) => {
    trace?.('key', `${describeKey(key)} from ${partner.keySource!.description}`);
    trace?.('signature', 'valid');
    const window = checkTimeWindow(jws.payload, timeRulesFor(partner, context));
    trace?.(
      'time',
      `nbf ${iso(window.nbf)}, exp ${iso(window.exp)}, now ${iso(context.now / 1000)}, skew ${context.skewSeconds} s, lifetime ${window.exp - window.nbf} s`,
    );
    const audience = checkAudience(jws.payload, context.us);
    trace?.('audience', `${audience} is ours`);
    return { partner, applicationId: match.applicationId, realm: match.realm, claims: jws.payload, window };
  });
}

/** A disabled partner's tokens are refused, cached ones included. */
export function checkPartnerEnabled(partner: Partner): void {
  if (!partner.config.enabled) throw new TokenError('partner_disabled', 'the partner is disabled');
}

/** The acting principal must be the issuer itself, or a client id the partner vouches for. */
export function checkActingPrincipal(actor: string, signed: SignedToken): string {
  const { applicationId, realm, partner } = signed;
  if (
    !isPrincipal(actor, applicationId, realm) &&
    !partner.config.clientIds.some((id) => isPrincipal(actor, id, realm))
  )
    throw new TokenError('actor_mismatch', 'the acting principal is neither the issuer nor a client it vouches for', {
      claim: 'nameid',
    });
  return actor;
}

/** The actor (`nameid`, or `act.nameid` for user context) and the user a signed partner token names. */
export function checkActor(signed: SignedToken): { actor: string; user: Principal['user'] } {
  const { claims } = signed;
  const act = claims.act;
  if (act === undefined) {
    return {
      actor: checkActingPrincipal(
        optionalString(claims, 'nameid') ?? formatPrincipal(signed.applicationId, signed.realm),
        signed,
      ),
      user: undefined,
    };
  }
  if (typeof act !== 'object' || act === null || Array.isArray(act))
    throw new TokenError('token_malformed', 'the act claim is not an object', { claim: 'act' });
  const actorName = optionalString(act as Record<string, unknown>, 'nameid', 'act.nameid');
  if (actorName === undefined)
    throw new TokenError('token_malformed', 'the act claim has no nameid', { claim: 'act.nameid' });
  const actor = checkActingPrincipal(actorName, signed);
  const user = userFromClaims(claims);
  if (!user) throw new TokenError('token_malformed', 'the token has an act claim but names no user', { claim: 'act' });
  return { actor, user };
}

/**
 * The trust-level rules (shared/PROTOCOL.md): only `Full` names a user on its own authority, and
 * only users of our realms; a `User` partner never calls as itself.
 */
export function applyTrustRules(partner: Partner, user: Principal['user'], context: VerificationContext): void {
  const trust = partner.config.trustLevel;
  if (!user && trust === 'User')
    throw new TokenError('app_only_not_allowed', 'a User-trust partner cannot call as itself');
  if (user && trust !== 'Full')
    throw new TokenError(
      'user_context_not_allowed',
      `a ${trust}-trust partner acts for a user only with a token from an authorization server`,
    );
  if (user) checkUserRealm(user, context.us.realms);
  context.trace?.('trust', user ? `${trust} trust may act for ${user.id}` : `${trust} trust may call as itself`);
}

/**
 * The principal of a partner's token, frozen all the way down: the claims were parsed for this
 * token alone and the partner's permissions are frozen in the registry, so no handler can change
 * a later verdict. `unsignedClaims` (the legacy outer token's) are kept apart from the signed ones.
 */
export function principalFromPartnerToken(
  signed: SignedToken,
  actor: string,
  user: Principal['user'],
  unsignedClaims?: Record<string, unknown>,
): Principal {
  const { partner } = signed;
  return Object.freeze({
    kind: user ? 'user' : 'app',
    partner: partner.config.name,
    applicationId: signed.applicationId,
    realm: signed.realm,
    trustLevel: partner.config.trustLevel,
    permissions: partner.config.permissions,
    actor,
    ...(user && { user }),
    issuer: formatPrincipal(signed.applicationId, signed.realm),
    source: 'partner',
    expiresAt: signed.window.exp * 1000,
    claims: deepFreeze(signed.claims),
    ...(unsignedClaims && { unsignedClaims: deepFreeze(unsignedClaims) }),
  });
}

/**
 * When the token was made: its `iat` when it has one (issuers that back-date `nbf` for clock skew
 * still stamp `iat` with the moment of issue), else its `nbf`.
 */
function issuedAt(signed: SignedToken): number {
  const iat = signed.claims.iat;
  if (typeof iat === 'number' && Number.isFinite(iat)) return iat;
  if (typeof iat === 'string' && /^\d{1,10}$/.test(iat)) return Number(iat); // the legacy writer's strings
  return signed.window.nbf;
}

/** What the replay step needs besides the token. */
export interface ReplayDefence {
  store: ReplayStore;
  timeoutMs: number;
}

/**
 * Refuses a `jti` seen before, for partners that require unique ids, on the SIGNED token's `jti`
 * (an unsigned outer id could be changed at will). Fails closed when the store cannot answer.
 */
export function checkReplay(
  principal: Principal,
  signed: SignedToken,
  defence: ReplayDefence,
  context: VerificationContext,
): MaybePromise<Verified> {
  const { partner } = signed;
  if (!partner.config.requireUniqueJti) return { principal, partner, uniqueJti: false };
  const jti = optionalString(signed.claims, 'jti');
  if (jti === undefined)
    throw new TokenError('token_malformed', "this partner's tokens must carry a jti", { claim: 'jti' });
  // Kept past any skew a reload could set (not just today's): raising the skew must not readmit it.
  const expiresAt = (signed.window.exp + MAX_CLOCK_SKEW_SECONDS) * 1000;
  return chain(
    rememberWithin(
      defence.store,
      `${partner.config.name}:${jti}`,
      expiresAt,
      issuedAt(signed) * 1000,
      defence.timeoutMs,
    ),
    (answer) => {
      if (answer === 'unverifiable')
        throw new TokenError(
          'replay_unverifiable',
          'this token was issued before the replay store began to remember (a restart or a lost store): it cannot be told from a replay; send a new token',
          { claim: 'nbf' },
        );
      if (!answer) throw new TokenError('token_replayed', 'this token has been used already', { claim: 'jti' });
      context.trace?.('replay', 'jti seen for the first time');
      return { principal, partner, uniqueJti: true };
    },
  );
}
