import type { KeySourceFailure } from '../events';
import { redactUrl } from './redact-url';

/** Limits for fetching a remote key document. */
export interface FetchLimits {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Hosts that may be fetched over plain `http:` (loopback for development). */
  allowInsecureHosts: readonly string[];
  /** Injected fetch (tests); default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Why a document could not be fetched (an outage or a misbehaving source, never a bad token). */
export class KeySourceError extends Error {
  override readonly name: string = 'KeySourceError';
  constructor(
    message: string,
    /** The category of the failure, for events and metrics. */
    readonly reason: KeySourceFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MAX_REDIRECTS = 3;

/** The system error code beneath a failed fetch (ECONNREFUSED, ENOTFOUND, ...): undici itself says only "fetch failed". */
export function systemErrorCode(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why a fetch failed, naming the URL only as `shown` (runtimes quote the URL they were given, query string and all). */
function networkFailure(error: unknown, url: URL, shown: string): string {
  const code = systemErrorCode(error);
  const message = String((error as Error).message)
    .split(url.href)
    .join(shown);
  return code ? `${message} (${code})` : message;
}

/** The transport rule for every URL we send to or fetch from: `https:`, or `http:` to an explicitly allowed host. */
export function isSecureOrAllowed(url: URL, allowInsecureHosts: readonly string[]): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && allowInsecureHosts.includes(url.hostname));
}

/** Refuses URLs we must not fetch (see {@link isSecureOrAllowed}). */
export function assertFetchable(url: URL, allowInsecureHosts: readonly string[]): void {
  if (isSecureOrAllowed(url, allowInsecureHosts)) return;
  throw new KeySourceError(
    `refusing to fetch ${url.origin}: only https is allowed unless "${url.hostname}" (the bare host, no scheme or port) is in keySources.allowInsecureHosts`,
    'insecure_url',
  );
}

/**
 * GETs a JSON document with a timeout, a response size cap, and redirects followed only within
 * the same origin (a redirect to another host could hand our trust to whoever controls it).
 */
export async function fetchJsonDocument(url: string, limits: FetchLimits): Promise<unknown> {
  const doFetch = limits.fetch ?? fetch;
  let target = new URL(url);
  const origin = target.origin;
  const signal = AbortSignal.timeout(limits.timeoutMs);
  for (let hop = 0; ; hop++) {
    assertFetchable(target, limits.allowInsecureHosts);
    const shown = redactUrl(target);
    let response: Response;
    try {
      response = await doFetch(target, { redirect: 'manual', signal, headers: { accept: 'application/json' } });
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError';
      throw new KeySourceError(
        `cannot fetch ${shown}: ${timedOut ? `timed out after ${limits.timeoutMs} ms` : networkFailure(e, target, shown)}`,
        timedOut ? 'timeout' : 'network',
        { cause: e },
      );
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      const next = new URL(response.headers.get('location')!, target);
      if (next.origin !== origin)
        throw new KeySourceError(`${shown} redirects to another origin (${next.origin}); refused`, 'redirect');
      if (hop >= MAX_REDIRECTS) throw new KeySourceError(`${redactUrl(url)}: too many redirects`, 'redirect');
      target = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new KeySourceError(`${shown} answered ${response.status}`, 'http_status');
    }
    const text = await readCapped(response, limits.maxResponseBytes, shown, limits.timeoutMs);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new KeySourceError(`${shown} did not return JSON`, 'bad_document', { cause: e });
    }
  }
}

/**
 * Reads a response body as text, refusing more than `maxBytes` (declared or streamed), so a
 * huge or endless reply from any server we talk to cannot grow our memory. `href` names the
 * response in errors: pass it through `redactUrl`.
 */
export async function readCapped(
  response: Response,
  maxBytes: number,
  href: string,
  timeoutMs: number,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new KeySourceError(`${href} is ${declared} bytes, over the ${maxBytes}-byte limit`, 'too_large');
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new KeySourceError(`${href} is over the ${maxBytes}-byte limit`, 'too_large');
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof KeySourceError) throw e;
    const timedOut = (e as Error).name === 'TimeoutError';
    throw new KeySourceError(
      `cannot read ${href}: ${timedOut ? `timed out after ${timeoutMs} ms` : (e as Error).message}`,
      timedOut ? 'timeout' : 'network',
      { cause: e },
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}
