import { Router, type Request } from 'express';
import type { MetadataDocument } from '../core/metadata/metadata-document';

/** What the router publishes; {@link S2SAuth} provides it. */
export interface MetadataPublisher {
  metadataDocument(metadataUrl: string): MetadataDocument;
  jwks(): { keys: object[] };
}

/** Options of {@link createMetadataRouter}. */
export interface MetadataRouterOptions {
  /** Path of the Microsoft auth-metadata document (default `/metadata/json/1`). */
  metadataPath?: string;
  /** Path of the JWKS (default `/.well-known/jwks.json`). */
  jwksPath?: string;
  /** `Cache-Control: max-age` in seconds (default 3600: short enough that a scheduled next key is seen well before it is used). */
  maxAgeSeconds?: number;
}

/**
 * An Express router publishing our keys: `GET /metadata/json/1` (Microsoft format, current,
 * previous and next certificates) and `GET /.well-known/jwks.json`. Public data only.
 * The documents are rebuilt on each request (cheap), so a rollover needs no restart.
 */
export function createMetadataRouter(publisher: MetadataPublisher, options: MetadataRouterOptions = {}): Router {
  const metadataPath = options.metadataPath ?? '/metadata/json/1';
  const jwksPath = options.jwksPath ?? '/.well-known/jwks.json';
  const maxAge = options.maxAgeSeconds ?? 3600;
  if (!Number.isInteger(maxAge) || maxAge < 0)
    throw new TypeError('maxAgeSeconds: expected a whole number of seconds >= 0');
  const cacheControl = `public, max-age=${maxAge}`;
  const selfUrl = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}${metadataPath}`;

  const router = Router();
  router.get(metadataPath, (req, res) => {
    res.set('Cache-Control', cacheControl).json(publisher.metadataDocument(selfUrl(req)));
  });
  router.get(jwksPath, (_req, res) => {
    res.set('Cache-Control', cacheControl).json(publisher.jwks());
  });
  return router;
}
