import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TokenError } from '../core/errors/token-error';
import { checkRequirement, type Principal, type PrincipalRequirement } from '../core/tokens/principal';
import type { TokenVerifier } from '../core/tokens/token-verifier';

/**
 * A route guard for a {@link PrincipalRequirement}, placed after the strategy or the middleware.
 * A principal that fails it gets 403 `insufficient_scope` with a stable code; a route reached
 * with no principal at all (a guard mounted without authentication) gets 401.
 */
export function createGuard(verifier: TokenVerifier, requirement: PrincipalRequirement): RequestHandler {
  return function s2sGuard(req: Request, _res: Response, next: NextFunction): void {
    const principal = req.user as Principal | undefined;
    try {
      if (!principal || (principal.source !== 'partner' && principal.source !== 'authorization-server')) {
        throw new TokenError('token_missing', 'no verified partner token on this request');
      }
      checkRequirement(principal, requirement);
    } catch (error) {
      if (!(error instanceof TokenError)) return next(error);
      return next(verifier.refuse(principal ? error.with({ partner: principal.partner }) : error));
    }
    next();
  };
}
