import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TokenError } from '../core/errors/token-error';
import { extractBearerToken } from '../core/tokens/bearer-token';
import type { TokenVerifier } from '../core/tokens/token-verifier';
import { bearerRequestOf } from './express-request';

/**
 * The same verification as the Passport strategy, as a plain Express middleware (no Passport):
 * sets `req.user` to the principal, or calls `next(error)` with a {@link TokenError} carrying
 * `status` and `headers`, which Express's error handler (or yours) sends.
 */
export function createVerifyMiddleware(verifier: TokenVerifier): RequestHandler {
  return function s2sVerify(req: Request, _res: Response, next: NextFunction): void {
    let token: string;
    try {
      token = extractBearerToken(bearerRequestOf(req));
    } catch (error) {
      return next(error instanceof TokenError ? verifier.refuse(error) : error);
    }
    let result: ReturnType<TokenVerifier['authenticate']>;
    try {
      result = verifier.authenticate(token);
    } catch (error) {
      return next(error);
    }
    if (!(result instanceof Promise)) {
      req.user = result;
      return next();
    }
    result.then((principal) => {
      req.user = principal;
      next();
    }, next);
  };
}
