/**
 * Whether a request can be sent twice as it is: no body, or a body fetch re-reads from scratch
 * (string, bytes, Blob, URLSearchParams, FormData). A stream is consumed by the first send, and a
 * `Request` object with a body is too, so neither is retried.
 */
export function isReplayable(input: RequestInfo | URL, init: RequestInit | undefined): boolean {
  const body = init?.body ?? (input instanceof Request && init?.body === undefined ? input.body : null);
  if (body === null || body === undefined) return true;
  return (
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  );
}
