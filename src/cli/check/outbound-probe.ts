import { printable } from '../../core/partner-text';
import type { S2SAuth } from '../../s2s-auth';
import type { Partner } from '../../core/partners/partner-registry';
import { parseBearerChallenge } from '../../client/bearer-challenge-parser';
import { PartnerFetchError } from '../../client/partner-fetch-error';
import { KeySourceError, systemErrorCode } from '../../core/partners/fetch-document';
import { ownMetadataUrl } from './own-service-checks';
import { fail, pass, warn, type CheckResult } from './check-result';

/** The URL the probe calls: `probePath` appended to the first base URL (or that URL itself). */
export function probeUrl(partner: Partner): string {
  const base = partner.config.baseUrls[0]!;
  const probePath = partner.config.probePath;
  return probePath ? `${base.replace(/\/+$/, '')}${probePath}` : base;
}

/**
 * Calls the partner as the service would (a token minted, or asked of the authorization server,
 * and sent by the fetch wrapper), and reads the answer: 2xx or 403 mean it trusts us (a 403 is a
 * refusal of the call, after the token was accepted); a 401 means it does not, and its challenge
 * says why. The token is never printed.
 */
export async function probeOutbound(s2s: S2SAuth, partner: Partner): Promise<CheckResult> {
  const subject = `partner ${partner.config.name}`;
  const url = probeUrl(partner);
  let response: Response;
  try {
    response = await s2s.fetch()(url, {
      partner: partner.config.name,
      signal: AbortSignal.timeout(s2s.config.keySources.timeoutMs),
    });
  } catch (e) {
    return fail(subject, 'outbound', `GET ${url}: ${unreachable(e, url)}`);
  }
  await response.body?.cancel();
  const status = response.status;
  // The wrapper follows redirects within the origin only (another origin is refused): say where it went.
  const answered =
    response.url && response.url !== new URL(url).href
      ? ` (redirected to ${printable(new URL(response.url).pathname)})`
      : '';
  const at = `GET ${url}${answered}`;
  if (status >= 200 && status < 300) return pass(subject, 'outbound', `${at}: ${status}, it accepts our token`);
  const challenge = parseBearerChallenge(response.headers.get('www-authenticate')) ?? {};
  if (status === 403)
    return pass(
      subject,
      'outbound',
      `${at}: 403${challenge.error ? ` ${printable(challenge.error)}` : ''}: it accepts our token and refuses this call (set probePath to a route we may call)`,
    );
  if (status === 401) return fail(subject, 'outbound', `${at}: 401 ${describe(challenge)}; ${advice(s2s, challenge)}`);
  return warn(
    subject,
    'outbound',
    `${at}: ${status}: cannot tell whether it accepts our token (set probePath to a protected route)`,
  );
}

function describe(challenge: Record<string, string>): string {
  const parts = (['error', 'error_description', 'realm'] as const)
    .filter((k) => challenge[k] !== undefined)
    .map((k) => `${k}="${printable(challenge[k]!)}"`);
  return parts.length > 0 ? parts.join(' ') : '(no Bearer challenge)';
}

/** What to change, from what the partner's challenge says. */
function advice(s2s: S2SAuth, challenge: Record<string, string>): string {
  const us = `${s2s.config.serviceName}@${s2s.config.realm}`;
  const description = (challenge.error_description ?? '').toLowerCase();
  if (/audience/.test(description))
    return "it expects another audience: check this partner's baseUrls host and realm in our configuration";
  if (/expired|not valid yet|clock/.test(description)) return "check both machines' clocks";
  if (/signature|key/.test(description))
    return `it does not have our current keys: let it fetch ${ownMetadataUrl(s2s)} again, or give it our certificate`;
  return `it does not trust us: add ${us} there as a partner application (by our metadata URL ${ownMetadataUrl(s2s)} or our certificate)`;
}

/** Why nothing was answered: the host, and the cause (never the token). */
function unreachable(error: unknown, url: string): string {
  if (error instanceof PartnerFetchError) return `${error.code}: ${printable(error.message)}`;
  // Its metadata could not be read, so neither its id nor its realm (for the audience) is known.
  if (error instanceof KeySourceError) return `not called: ${printable(error.message, 1000)}`;
  const code = systemErrorCode(error);
  const cause = (error as { cause?: { message?: string } }).cause;
  const host = new URL(url).host;
  if ((error as Error).name === 'TimeoutError') return `no answer from ${host} in time`;
  return `cannot connect to ${host}${code ? ` (${code})` : cause?.message ? ` (${printable(cause.message)})` : ''}`;
}
