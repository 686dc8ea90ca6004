import type { Principal } from '../core/tokens/principal';

// Makes `req.user` the verified Principal in TypeScript, for routes behind the strategy or middleware.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Principal {}
  }
}

export {};
