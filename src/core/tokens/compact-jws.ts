import { TokenError } from '../errors/token-error';
import { deepFreeze } from './principal';
import { base64urlText } from './transient-bytes';

/** A compact JWS split into its parts, header and payload decoded but NOT verified. */
export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `<header>.<payload>`: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
  /** Whether the signature part is empty (as the legacy outer token's must be, RFC 7519 section 6.1). */
  unsigned: boolean;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Three base64url parts: every token we accept, checked in one pass before any part is looked at alone. */
const THREE_BASE64URL_PARTS = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Decodes a part already known to be base64url. */
function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(base64urlText(part));
  } catch {
    throw new TokenError('token_malformed', `the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TokenError('token_malformed', `the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Decoded headers of recent tokens, by their base64url text: a partner's tokens all carry the
 * same header, so the uncached path decodes one JSON object per token, not two. Frozen, since
 * tokens share them; emptied when full, so a spray of distinct headers costs what decoding does.
 */
const recentHeaders = new Map<string, Record<string, unknown>>();
const RECENT_HEADERS = 64;
/** The last header met, compared before the map: comparing two strings is cheaper than hashing one. */
let lastHeader: { text: string; header: Record<string, unknown> } | undefined;

function decodeHeader(part: string): Record<string, unknown> {
  if (lastHeader && part === lastHeader.text) return lastHeader.header;
  let header = recentHeaders.get(part);
  // A copy of the text as the key: the part itself is a view that would keep the whole token alive.
  const text = Buffer.from(part, 'latin1').toString('latin1');
  if (!header) {
    header = deepFreeze(decodeJsonObject(part, 'header'));
    if (recentHeaders.size >= RECENT_HEADERS) recentHeaders.clear();
    recentHeaders.set(text, header);
  }
  lastHeader = { text, header };
  return header;
}

/** The 6-bit value of a base64url character (the alphabet was checked already). */
function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z: 26-51
  if (code >= 65) return code === 95 ? 63 : code - 65; // A-Z: 0-25, '_': 63
  return code === 45 ? 62 : code + 4; // '-': 62, 0-9: 52-61
}

/**
 * Whether a base64url text is the one canonical spelling of its bytes (RFC 4648 section 3.5):
 * a length that leaves no lone character, and no bits set in the last character beyond the
 * bytes it carries. Otherwise one signature would have up to 16 spellings, and tokens that
 * differ in text would verify alike.
 */
function isCanonicalBase64url(part: string): boolean {
  const rest = part.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  return (sextet(part.charCodeAt(part.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Splits a compact JWS (RFC 7515 section 7.1) without trusting anything in it. jose has no
 * synchronous decoder for the hot path, and decoding is only base64url and JSON: the signature
 * check itself is done by node:crypto.
 */
export function parseCompactJws(token: string): CompactJws {
  if (!THREE_BASE64URL_PARTS.test(token)) throw shapeError(token);
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signaturePart = token.slice(second + 1);
  if (!isCanonicalBase64url(signaturePart))
    throw new TokenError('token_malformed', 'the signature is not canonical base64url');
  return {
    header: decodeHeader(token.slice(0, first)),
    payload: decodeJsonObject(token.slice(first + 1, second), 'payload'),
    signingInput: token.slice(0, second),
    signature: Buffer.from(signaturePart, 'base64url'),
    unsigned: signaturePart.length === 0,
  };
}

/** What is wrong with a token that is not three base64url parts, part by part. */
function shapeError(token: string): TokenError {
  const parts = token.split('.');
  if (parts.length !== 3) return new TokenError('token_malformed', 'not a compact JWS of three parts');
  const [header, payload] = parts as [string, string, string];
  if (!BASE64URL.test(header)) return new TokenError('token_malformed', 'the header is not base64url');
  if (!BASE64URL.test(payload)) return new TokenError('token_malformed', 'the payload is not base64url');
  return new TokenError('token_malformed', 'the signature is not canonical base64url');
}
