import { TokenError } from '../errors/token-error';
import type { AuthorizationServer } from '../partners/authorization-server';
import {
  audiencesOf,
  checkAudience,
  checkTimeWindow,
  optionalString,
  type AudienceSubject,
  type TimeWindow,
} from './claim-checks';
import { iso, timeRulesFor, type VerificationContext } from './verification-context';
import { deepFreeze, type Principal } from './principal';

/** A server token's window: the service-wide lifetime cap, NumericDates only. */
export function checkServerWindow(claims: Record<string, unknown>, context: VerificationContext): TimeWindow {
  context.trace?.('signature', 'valid');
  const window = checkTimeWindow(claims, timeRulesFor(undefined, context));
  context.trace?.('time', `nbf ${iso(window.nbf)}, exp ${iso(window.exp)}, lifetime ${window.exp - window.nbf} s`);
  return window;
}

/**
 * The claims of an authorization server's access token (RFC 9068), once its signature and time
 * window passed: an audience the server may issue for us, a client it vouches for here, and the
 * trust rules. A token whose `sub` is not the client names a user the server vouched for (the
 * user's consent), so any trust level may act for that user; a `User`-trust client still never
 * calls as itself. Returns the principal, or throws a {@link TokenError} (the verifier marks it with the server).
 */
export function principalFromServerToken(
  claims: Record<string, unknown>,
  window: TimeWindow,
  server: AuthorizationServer,
  us: AudienceSubject,
  trace: ((check: string, detail: string) => void) | undefined,
): Principal {
  // Checks, never narration: each runs whether or not `token explain` listens.
  const allowed = server.config.audiences;
  if (allowed.length > 0) {
    const auds = audiencesOf(claims);
    if (!auds.some((a) => allowed.includes(a)))
      throw new TokenError('audience_mismatch', 'the token is not addressed to this service', { claim: 'aud' });
    trace?.('audience', `${auds.join(', ')} includes one of ${allowed.join(', ')}`);
  } else {
    const audience = checkAudience(claims, us);
    trace?.('audience', `${audience} is ours`);
  }

  const clientId = [claims.client_id, claims.azp, claims.appid].find(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  if (!clientId)
    throw new TokenError('token_malformed', 'the token names no client (client_id, azp or appid)', {
      claim: 'client_id',
    });
  const client = server.client(clientId);
  if (!client)
    throw new TokenError('unknown_partner', 'the authorization server does not vouch for this client here', {
      claim: 'client_id',
    });

  // An empty or non-string `sub` names nobody: refused, never a user with id "".
  const sub = optionalString(claims, 'sub');
  const upn = optionalString(claims, 'upn');
  const email = optionalString(claims, 'email');
  const user: Principal['user'] =
    sub !== undefined && sub !== clientId
      ? Object.freeze({ nameid: sub, ...(upn && { upn }), ...(email && { smtp: email }), id: sub })
      : undefined;
  const partner = client.name ?? clientId;
  if (!user && client.trustLevel === 'User')
    throw new TokenError('app_only_not_allowed', 'a User-trust client cannot call as itself', { partner });
  trace?.(
    'trust',
    user
      ? `${client.trustLevel} trust acts for ${user.id} with the server's consent`
      : `${client.trustLevel} trust may call as itself`,
  );

  const scopes = Object.freeze(
    typeof claims.scope === 'string'
      ? claims.scope.split(' ').filter(Boolean)
      : Array.isArray(claims.roles)
        ? claims.roles.filter((r): r is string => typeof r === 'string')
        : [],
  );
  return Object.freeze({
    kind: user ? 'user' : 'app',
    partner,
    applicationId: clientId,
    realm: us.realms[0]!,
    trustLevel: client.trustLevel,
    permissions: client.permissions,
    scopes,
    actor: clientId,
    ...(user && { user }),
    issuer: claims.iss as string,
    authorizationServer: server.config.name,
    source: 'authorization-server',
    expiresAt: window.exp * 1000,
    claims: deepFreeze(claims),
  });
}
