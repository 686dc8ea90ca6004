import type { Request } from 'express';
import { TokenError } from '../core/errors/token-error';
import { extractBearerToken } from '../core/tokens/bearer-token';
import type { Principal } from '../core/tokens/principal';
import type { TokenVerifier } from '../core/tokens/token-verifier';
import { bearerRequestOf } from './express-request';

/** What Passport adds to the per-request copy of a strategy it calls `authenticate` on. */
export interface PassportActions {
  /** Authenticated: `req.user` becomes `user`. */
  success(user: Principal): void;
  /** Refused: Passport answers `status` (with the challenge on 401), or tries the next strategy. */
  fail(challenge: string, status: number): void;
  /** An outage or a bug: handed to the app's error handler. */
  error(err: Error): void;
}

/**
 * The `s2s` Passport strategy. The token is taken from the `Authorization` header only, by the
 * same extraction as `s2s.middleware()` (once per request), and every decision is the
 * {@link TokenVerifier}'s. On success `req.user` is the {@link Principal}. A refusal goes through
 * Passport's `fail` (400 / 401 / 403, with our challenge: another strategy may still try) and
 * leaves the whole {@link TokenError} as `req.s2sError` (Passport's own failure carries no code;
 * with `failWithError: true`, `s2s.errorHandler()` answers with it); an outage (503) goes through
 * `error`, to the app's error handler, so it never falls through as if the token were bad.
 *
 * It implements Passport's strategy contract (a `name` and an `authenticate` method) directly:
 * passport-http-bearer would extract the token a second time, read it from the query string and
 * body, and answer some requests with a bare 400 and no challenge.
 *
 * @example
 * ```ts
 * passport.use(s2s.strategy());
 * app.get('/contacts', passport.authenticate('s2s', { session: false }), s2s.requireUser(), list);
 * ```
 */
export class PartnerBearerStrategy {
  /** The name Passport knows it by: `passport.authenticate('s2s', ...)`. */
  readonly name = 's2s';
  /** Called by Passport on a per-request copy of the strategy that carries `success`, `fail` and `error`. */
  readonly authenticate: (this: PassportActions, req: Request) => void;

  constructor(verifier: TokenVerifier) {
    this.authenticate = function authenticate(this: PassportActions, req: Request): void {
      let token: string;
      try {
        token = extractBearerToken(bearerRequestOf(req));
      } catch (error) {
        return settle(this, req, error instanceof TokenError ? verifier.refuse(error) : error);
      }
      let result: ReturnType<TokenVerifier['authenticate']>;
      try {
        result = verifier.authenticate(token);
      } catch (error) {
        return settle(this, req, error); // reported by the verifier already
      }
      if (!(result instanceof Promise)) return this.success(result);
      result.then(
        (principal) => this.success(principal),
        (error: unknown) => settle(this, req, error),
      );
    };
  }
}

/** Hands a refusal to Passport: `fail` with our challenge for 4xx, `error` for an outage or a bug. */
function settle(actions: PassportActions, req: Request, refusal: unknown): void {
  if (!(refusal instanceof TokenError)) return actions.error(refusal as Error);
  if (refusal.status >= 500) return actions.error(refusal);
  req.s2sError = refusal;
  const challenge = refusal.headers['WWW-Authenticate']!;
  // Passport writes WWW-Authenticate itself only on 401.
  if (refusal.status !== 401) req.res?.setHeader('WWW-Authenticate', challenge);
  actions.fail(challenge, refusal.status);
}
