import type { Request } from 'express';
import type { BearerRequestLike } from '../core/tokens/bearer-token';

/**
 * The request as bearer extraction sees it. Express 5 parses `req.query` on every read, so it
 * is read only when the raw URL mentions `access_token` at all.
 */
export function bearerRequestOf(req: Request): BearerRequestLike {
  return {
    headers: req.headers,
    query: req.url.includes('access_token') ? req.query : undefined,
    body: req.body as unknown,
    rawHeaders: req.rawHeaders,
  };
}
