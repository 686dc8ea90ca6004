import type { TrustLevel } from '../config/config-schema';
import { TokenError } from '../errors/token-error';
import type { UserIdentity } from './user-identity';

/**
 * Who is calling, as verification established it. This is `req.user` behind the strategy and
 * the middleware.
 */
export interface Principal {
  /** `app`: the partner calls as itself. `user`: it calls on behalf of `user`. */
  kind: 'app' | 'user';
  /** Our name for the partner application (its `name` in the configuration). */
  partner: string;
  /** The partner's principal id. */
  applicationId: string;
  /** The partner's realm. */
  realm: string;
  /** The trust level configured for it (or for the server's client). */
  trustLevel: TrustLevel;
  /** What the partner may call (from the configuration), checked by `requirePermission`. */
  permissions: readonly string[];
  /** Scopes (`scope`) or roles (`roles`) an authorization server granted; absent for self-issued tokens. */
  scopes?: readonly string[];
  /** The authorization server that issued the token, by its configured name. */
  authorizationServer?: string;
  /** `<principal id>@<realm>` of the acting application (`nameid`, or `act.nameid`). */
  actor: string;
  /** The user the call is made for, when `kind` is `user`. */
  user?: UserIdentity & {
    /** The preferred identifier: `nameid`, else `upn`, else `smtp`, else `sip`. */
    id: string;
  };
  /** The token's `iss`. */
  issuer: string;
  /** Where trust came from: a partner's own signature, or an authorization server. */
  source: 'partner' | 'authorization-server';
  /** Expiry of the token, ms since the epoch. */
  expiresAt: number;
  /** The claims of the signed token, as sent (for the legacy form: those of the signed actor token). */
  claims: Readonly<Record<string, unknown>>;
  /**
   * Microsoft's legacy form only: the claims of the UNSIGNED outer token. Only the user identity
   * (`user`) was taken from them, as Microsoft's design prescribes; nothing else in here is
   * signed by anyone, so never base a decision on it.
   */
  unsignedClaims?: Readonly<Record<string, unknown>>;
}

/**
 * Freezes a principal's parts all the way down (claims, user, arrays), so that no route handler
 * can change what a later request of the same partner or the same token is granted. Only plain
 * data (parsed JSON, configuration) is passed here.
 */
export function deepFreeze<T>(value: T): T {
  Object.freeze(value);
  for (const key in value) {
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === 'object' && member !== null && !Object.isFrozen(member)) deepFreeze(member);
  }
  return value;
}

const TRUST_ORDER: Record<TrustLevel, number> = { User: 0, Application: 1, Full: 2 };

/** A rule a route places on the principal: the same rules behind Passport and the plain middleware. */
export type PrincipalRequirement =
  | { kind: 'user-context' }
  | { kind: 'app-only' }
  | { kind: 'trust-level'; level: TrustLevel }
  | { kind: 'permission'; permission: string };

/** Throws a 403 `TokenError` (insufficient_scope) unless `principal` meets `requirement`. */
export function checkRequirement(principal: Principal, requirement: PrincipalRequirement): void {
  switch (requirement.kind) {
    case 'user-context':
      if (principal.kind !== 'user')
        throw new TokenError('user_context_required', 'this resource needs a call on behalf of a user');
      return;
    case 'app-only':
      if (principal.kind !== 'app')
        throw new TokenError('app_only_required', 'this resource accepts only app-only calls');
      return;
    case 'trust-level':
      if (TRUST_ORDER[principal.trustLevel] < TRUST_ORDER[requirement.level]) {
        throw new TokenError('trust_level_insufficient', `this resource needs trust level ${requirement.level}`);
      }
      return;
    case 'permission':
      if (!principal.permissions.includes(requirement.permission)) {
        throw new TokenError('permission_denied', `this resource needs permission ${requirement.permission}`);
      }
      return;
  }
}
