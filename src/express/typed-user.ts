import type { Principal } from '../core/tokens/principal';
import type { TokenError } from '../core/errors/token-error';

// Makes `req.user` the verified Principal (and `req.s2sError` a strategy's refusal) in TypeScript.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Principal {}
    interface Request {
      /**
       * The verified caller, set by `s2s.middleware()` and the `s2s` Passport strategy. Declared
       * as `@types/passport` declares it (`Express.User`, which is our {@link Principal}), so the
       * two agree when both are installed and middleware-only users need no `@types/passport`.
       */
      user?: User;
      /** Why the s2s strategy refused this request (Passport's own error carries no code). */
      s2sError?: TokenError;
    }
  }
}

export {};
