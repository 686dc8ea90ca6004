import type { ErrorRequestHandler } from 'express';
import { TokenError } from '../core/errors/token-error';

/**
 * Answers refusals, passes everything else on. A Passport user's `req.s2sError` (Passport's own
 * 401 carries no code) wins over the error Passport raises with `failWithError: true`.
 */
export function createErrorHandler(): ErrorRequestHandler {
  return function s2sErrorHandler(error: unknown, req, res, next): void {
    const refusal = req.s2sError ?? (error instanceof TokenError ? error : undefined);
    if (!refusal || res.headersSent) return next(error);
    res
      .status(refusal.status)
      .set(refusal.headers)
      .json({ error: refusal.error ?? null, code: refusal.code });
  };
}
