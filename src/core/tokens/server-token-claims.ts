import { TokenError } from '../errors/token-error';
import type { AuthorizationServer } from '../partners/authorization-server';
import { checkAudience, type AudienceSubject, type TimeWindow } from './claim-checks';
import type { Principal } from './principal';

/**
 * The claims of an authorization server's access token (RFC 9068), once its signature and time
 * window passed: an audience the server may issue for us, a client it vouches for here, and the
 * trust rules. A token whose `sub` is not the client names a user the server vouched for (the
 * user's consent), so any trust level may act for that user; a `User`-trust client still never
 * calls as itself. Returns the principal, or throws a {@link TokenError} marked with whom it concerns.
 */
export function principalFromServerToken(
  claims: Record<string, unknown>,
  window: TimeWindow,
  server: AuthorizationServer,
  us: AudienceSubject,
  trace: ((check: string, detail: string) => void) | undefined,
): Principal {
  const fail = (error: TokenError, partner = server.config.name) => Object.assign(error, { partner });
  const allowed = server.config.audiences;
  if (allowed.length > 0) {
    const auds = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (!auds.some((a) => allowed.includes(a as string))) throw fail(new TokenError('audience_mismatch', 'the token is not addressed to this service'));
    trace?.('audience', `${auds.join(', ')} includes one of ${allowed.join(', ')}`);
  } else {
    trace?.('audience', `${checkAudience(claims.aud, us)} is ours`);
  }

  const clientId = [claims.client_id, claims.azp, claims.appid].find((c): c is string => typeof c === 'string');
  if (!clientId) throw fail(new TokenError('token_malformed', 'the token names no client (client_id, azp or appid)'));
  const client = server.client(clientId);
  if (!client) throw fail(new TokenError('unknown_partner', 'the authorization server does not vouch for this client here'));

  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  const user: Principal['user'] =
    sub !== undefined && sub !== clientId
      ? { nameid: sub, ...(typeof claims.upn === 'string' && { upn: claims.upn }), ...(typeof claims.email === 'string' && { smtp: claims.email }), id: sub }
      : undefined;
  const partner = client.name ?? clientId;
  if (!user && client.trustLevel === 'User') throw fail(new TokenError('app_only_not_allowed', 'a User-trust client cannot call as itself'), partner);
  trace?.('trust', user ? `${client.trustLevel} trust acts for ${user.id} with the server's consent` : `${client.trustLevel} trust may call as itself`);

  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
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
    claims: Object.freeze(claims),
  });
}
