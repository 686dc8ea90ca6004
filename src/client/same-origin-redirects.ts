import { PartnerFetchError } from './partner-fetch-error';
import { isReplayable } from './replayable-body';

/** More same-origin redirects than this in one call is a loop. */
const MAX_REDIRECTS = 5;

/** Request headers that describe a body: dropped when a redirect turns the request into a GET (Fetch, 4.4 step 12). */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.headers.has('location');
}

/** The redirect mode a caller asked for (`follow` unless said otherwise, as fetch's default). */
function redirectMode(input: string | URL | Request, init: RequestInit | undefined): RequestRedirect {
  return init?.redirect ?? (input instanceof Request ? input.redirect : 'follow');
}

/**
 * Sends a partner call carrying our token, following redirects only within the origin it was
 * sent to. fetch's own `follow` would take the call (its body, and the token where a runtime
 * forwards it) to whatever host a partner names, over plain http too; here a redirect that leaves
 * the origin is not followed and is refused with `PartnerFetchError` `redirect_refused`. A caller
 * that asked for `redirect: 'manual'` or `'error'` gets fetch's own behaviour. Same-origin
 * redirects are followed as fetch follows them: 303 (and 301 / 302 after a POST) become a GET
 * without a body; 307 / 308 resend the body, when it can be sent again (else the redirect is the
 * answer).
 */
export function sendWithinOrigin(
  fetchImpl: typeof fetch,
  input: string | URL | Request,
  init: RequestInit,
): Promise<Response> {
  if (redirectMode(input, init) !== 'follow') return fetchImpl(input, init);
  // The init is ours (built per call), so it is completed in place: no copy on the hot path.
  init.redirect = 'manual';
  return fetchImpl(input, init).then((response) =>
    isRedirect(response) ? followWithinOrigin(fetchImpl, input, init, response) : response,
  );
}

async function followWithinOrigin(
  fetchImpl: typeof fetch,
  input: string | URL | Request,
  init: RequestInit,
  first: Response,
): Promise<Response> {
  let response = first;
  let url = new URL(input instanceof Request ? input.url : String(input));
  let method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  let next: RequestInit = init;
  for (let hop = 1; isRedirect(response); hop++) {
    const target = new URL(response.headers.get('location')!, url);
    if (target.origin !== url.origin) {
      await response.body?.cancel();
      throw new PartnerFetchError(
        'redirect_refused',
        `${url.origin} answered ${response.status} to another origin (${target.origin}): not followed, so the call and its token stay with the partner`,
      );
    }
    if (hop > MAX_REDIRECTS) {
      await response.body?.cancel();
      throw new PartnerFetchError('redirect_refused', `${url.origin}: more than ${MAX_REDIRECTS} redirects`);
    }
    const toGet =
      (response.status === 303 && method !== 'HEAD') || ([301, 302].includes(response.status) && method === 'POST');
    if (!toGet && !isReplayable(input, next)) return response;
    await response.body?.cancel();
    if (toGet) {
      method = 'GET';
      const headers = new Headers(next.headers);
      for (const name of BODY_HEADERS) headers.delete(name);
      next = { ...next, method, body: null, headers };
    }
    url = target;
    response = await fetchImpl(target, { ...next, method, redirect: 'manual' });
  }
  return response;
}
