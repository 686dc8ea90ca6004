import type { Request } from 'express';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { TokenError } from '../core/errors/token-error';
import { extractBearerToken } from '../core/tokens/bearer-token';
import type { Principal } from '../core/tokens/principal';
import type { TokenVerifier } from '../core/tokens/token-verifier';
import { bearerRequestOf } from './express-request';

/** The per-request strategy object Passport gives `authenticate` and the verify callback. */
interface PassportActions {
  success(user: Principal): void;
  fail(challenge: string, status: number): void;
  error(err: Error): void;
}

/**
 * Sends a refusal the Passport way: `fail` for a bad request or token (400 / 401 / 403, with
 * the challenge; Passport itself writes `WWW-Authenticate` only on 401, so it is set here for the
 * others), `error` for an outage (503 through the app's error handler, so the request does not
 * fall through to another strategy as if the token were bad).
 */
function refuse(actions: PassportActions, req: Request, refusal: unknown): void {
  if (!(refusal instanceof TokenError)) return actions.error(refusal as Error);
  if (refusal.status >= 500) return actions.error(refusal);
  // Passport's fail() carries only a challenge and a status: keep the whole refusal (code,
  // headers) on the request for the app's error handler (with `failWithError: true`).
  req.s2sError = refusal;
  const challenge = refusal.headers['WWW-Authenticate']!;
  if (refusal.status !== 401) req.res?.setHeader('WWW-Authenticate', challenge);
  actions.fail(challenge, refusal.status);
}

/**
 * The `s2s` Passport strategy, on passport-http-bearer: the token comes from the
 * `Authorization` header only, and every decision is the {@link TokenVerifier}'s. On success
 * `req.user` is the {@link Principal}. On a refusal `req.s2sError` is the {@link TokenError}
 * (its stable `code`); with `failWithError: true` Passport then calls your error handler.
 *
 * @example
 * ```ts
 * passport.use(s2s.strategy());
 * app.get('/contacts', passport.authenticate('s2s', { session: false }), s2s.requireUser(), list);
 * ```
 */
type VerifyWithRequest = (req: Request, token: string, done: (error: unknown, user?: Principal) => void) => void;

export class PartnerBearerStrategy extends BearerStrategy<VerifyWithRequest> {
  override name = 's2s';

  constructor(private readonly verifier: TokenVerifier) {
    super({ passReqToCallback: true, scope: [] }, function verify(this: PassportActions, req: Request, token: string, done: (err: unknown, user?: Principal) => void) {
      let result: ReturnType<TokenVerifier['authenticate']>;
      try {
        result = verifier.authenticate(token);
      } catch (error) {
        // The verifier has reported its refusals and attached their headers already.
        return refuse(this, req, error);
      }
      if (!(result instanceof Promise)) return done(null, result);
      result.then(
        (principal) => done(null, principal),
        (error: unknown) => refuse(this, req, error),
      );
    });
  }

  /** Refuses what passport-http-bearer would accept or answer without a challenge, then lets it extract the token. */
  override authenticate(req: Request): void {
    try {
      extractBearerToken(bearerRequestOf(req));
    } catch (error) {
      // Passport calls authenticate on a per-request object that carries success / fail / error.
      return refuse(this as unknown as PassportActions, req, error instanceof TokenError ? this.verifier.refuse(error) : error);
    }
    super.authenticate(req);
  }
}
