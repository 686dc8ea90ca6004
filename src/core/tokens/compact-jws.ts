import { TokenError } from '../errors/token-error';

/** A compact JWS split into its parts, header and payload decoded but NOT verified. */
export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `<header>.<payload>`: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new TokenError('token_malformed', `the ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('token_malformed', `the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenError('token_malformed', `the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Splits a compact JWS (RFC 7515 section 7.1) without trusting anything in it. jose has no
 * synchronous decoder for the hot path, and decoding is only base64url and JSON: the signature
 * check itself is done by node:crypto.
 */
export function parseCompactJws(token: string): CompactJws {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) throw new TokenError('token_malformed', 'not a compact JWS of three parts');
  const signaturePart = token.slice(second + 1);
  if (!BASE64URL.test(signaturePart)) throw new TokenError('token_malformed', 'the signature is not base64url');
  return {
    header: decodeJsonObject(token.slice(0, first), 'header'),
    payload: decodeJsonObject(token.slice(first + 1, second), 'payload'),
    signingInput: token.slice(0, second),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}
