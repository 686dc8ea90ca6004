import { printable } from '../../core/partner-text';
import type { S2SAuth } from '../../s2s-auth';
import { fetchJsonDocument } from '../../core/partners/fetch-document';
import { DAY_MS, EXPIRY_WARNING_DAYS, expiry, fail, pass, warn, type CheckResult } from './check-result';

/** Our signing certificate: its expiry, and whether a next one is scheduled in time. */
export function checkSigning(s2s: S2SAuth, now: number): CheckResult[] {
  const active = s2s.signingKeys.active();
  const next = s2s.signingKeys.scheduledNext();
  const notAfter = active.notAfter.getTime();
  const soon = notAfter - now < EXPIRY_WARNING_DAYS * DAY_MS;
  const results = [
    (soon && !next ? warn : pass)(
      'signing',
      'certificate',
      `x5t ${active.x5t} signs now, valid until ${expiry(notAfter, now)}${soon && !next ? '; schedule the next one: s2s-oauth cert rollover' : ''}`,
    ),
  ];
  if (next)
    results.push(
      pass(
        'signing',
        'next',
        `x5t ${next.credential.x5t} published, signs from ${new Date(next.from).toISOString()}, valid until ${expiry(next.credential.notAfter.getTime(), now)}`,
      ),
    );
  return results;
}

/** Where we publish our metadata: https at our first hostname, http where the configuration allows it there. */
export function ownMetadataUrl(s2s: S2SAuth): string {
  const host = s2s.config.hostnames[0]!;
  const bare = new URL(`http://${host}`).hostname;
  const insecure = [...s2s.config.keySources.allowInsecureHosts, ...s2s.config.outbound.allowInsecureHosts];
  return `${insecure.includes(bare) ? 'http' : 'https'}://${host}/metadata/json/1`;
}

/** Our metadata is reachable where we publish it, and lists the certificates we sign with. */
export async function checkPublishedMetadata(s2s: S2SAuth, url: string): Promise<CheckResult> {
  const { timeoutMs, maxResponseBytes, allowInsecureHosts } = s2s.config.keySources;
  let document: unknown;
  try {
    document = await fetchJsonDocument(url, {
      timeoutMs,
      maxResponseBytes,
      allowInsecureHosts: [...allowInsecureHosts, ...s2s.config.outbound.allowInsecureHosts],
    });
  } catch (e) {
    const reason = printable((e as Error).message, 1000);
    return fail('metadata', 'published', `${reason} (partners configured by our metadata URL cannot learn our keys)`);
  }
  const listed = new Set(
    ((document as { keys?: Array<{ keyinfo?: { x5t?: string } }> }).keys ?? []).map((k) => k?.keyinfo?.x5t),
  );
  const ours = s2s.signingKeys.published();
  const missing = ours.filter((c) => !listed.has(c.x5t));
  if (missing.length === ours.length)
    return fail(
      'metadata',
      'published',
      `${url} lists none of our certificates (x5t ${ours[0]!.x5t}): is another service, or an old deployment, answering there?`,
    );
  if (missing.length > 0)
    return warn(
      'metadata',
      'published',
      `${url} lacks x5t ${missing.map((c) => c.x5t).join(', ')}: the running service has not loaded the current configuration (reload it)`,
    );
  return pass('metadata', 'published', `${url} lists our ${ours.length} certificate${ours.length > 1 ? 's' : ''}`);
}
