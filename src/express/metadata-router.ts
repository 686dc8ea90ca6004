import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetadataDocument } from '../core/metadata/metadata-document';

/** What the router publishes; {@link S2SAuth} provides it. */
export interface MetadataPublisher {
  metadataDocument(metadataUrl: string): MetadataDocument;
  jwks(): { keys: object[] };
}

/** Options of `s2s.metadataRouter()`. */
export interface MetadataRouterOptions {
  /** Path of the Microsoft auth-metadata document (default `/metadata/json/1`). */
  metadataPath?: string;
  /** Path of the JWKS (default `/.well-known/jwks.json`). */
  jwksPath?: string;
  /** `Cache-Control: max-age` in seconds (default 3600: short enough that a scheduled next key is seen well before it is used). */
  maxAgeSeconds?: number;
}

/**
 * Express middleware publishing our keys: `GET` (and `HEAD`) `/metadata/json/1` (Microsoft format,
 * current, previous and next certificates) and `/.well-known/jwks.json`; every other request
 * passes on. Public data only. The documents are rebuilt on each request (cheap), so a rollover
 * needs no restart. It needs nothing of Express at run time, so it serves Express 4 and 5 alike.
 */
export function createMetadataRouter(
  publisher: MetadataPublisher,
  options: MetadataRouterOptions = {},
): RequestHandler {
  const metadataPath = options.metadataPath ?? '/metadata/json/1';
  const jwksPath = options.jwksPath ?? '/.well-known/jwks.json';
  const maxAge = options.maxAgeSeconds ?? 3600;
  if (!Number.isInteger(maxAge) || maxAge < 0)
    throw new TypeError('maxAgeSeconds: expected a whole number of seconds >= 0');
  const cacheControl = `public, max-age=${maxAge}`;
  const selfUrl = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}${metadataPath}`;

  return function s2sMetadata(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.path;
    if (path === metadataPath)
      return void res.set('Cache-Control', cacheControl).json(publisher.metadataDocument(selfUrl(req)));
    if (path === jwksPath) return void res.set('Cache-Control', cacheControl).json(publisher.jwks());
    next();
  };
}
