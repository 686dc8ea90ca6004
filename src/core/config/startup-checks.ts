import type { ConfigIssue } from '../errors/config-error';
import type { S2SConfig } from './config-schema';
import { findOverlappingBaseUrls } from '../partners/base-urls';

/*
 * Set-ups that pass the schema but can never work: each would load silently and then fail every
 * request with an answer that hides the cause (a bare 503, a doubled scheme in our metadata).
 * Found at start-up instead, all at once, each naming its field.
 */

/** An IPv6 literal as URL.hostname spells it (`[::1]`). */
const BRACKETED_IPV6 = /^\[[0-9a-f:.]+\]$/i;

/** What is wrong with an `allowInsecureHosts` entry, which is compared with a URL's bare hostname. */
function insecureHostProblem(entry: string): string | undefined {
  if (entry.includes('://') || entry.includes('/'))
    return 'a bare host name or IP address, without scheme or path (e.g. "127.0.0.1")';
  if (BRACKETED_IPV6.test(entry)) return undefined;
  if ((entry.match(/:/g) ?? []).length > 1)
    return 'an IPv6 address must be written in brackets, as URLs spell it (e.g. "[::1]")';
  if (entry.includes(':')) return 'a bare host name or IP address, without a port: it matches every port of the host';
  return undefined;
}

/** What is wrong with a `hostnames` entry (`host` or `host:port`, as partners address us). */
function hostnameProblem(entry: string): string | undefined {
  if (entry.includes('://'))
    return 'a host name (optionally with :port), without a scheme: it is published as https://<hostname>/...';
  if (/[/?#@\s]/.test(entry)) return 'a host name (optionally with :port), without a path, query, user or spaces';
  return undefined;
}

/** An `http:` URL whose host is not allow-listed: every fetch of it would be refused. */
export function insecureUrlProblem(url: string, allowed: readonly string[], allowField: string): string | undefined {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || allowed.includes(parsed.hostname)) return undefined;
  return `plain http to ${parsed.hostname} is refused unless "${parsed.hostname}" is listed in ${allowField} (use https)`;
}

/** Every set-up in `config` that can never work, as issues naming their fields. */
export function findImpossibleSetups(config: S2SConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string | undefined) => message && issues.push({ path, message });
  config.hostnames.forEach((h, i) => add(`hostnames[${i}]`, hostnameProblem(h)));
  config.keySources.allowInsecureHosts.forEach((h, i) =>
    add(`keySources.allowInsecureHosts[${i}]`, insecureHostProblem(h)),
  );
  config.outbound.allowInsecureHosts.forEach((h, i) =>
    add(`outbound.allowInsecureHosts[${i}]`, insecureHostProblem(h)),
  );
  config.partners.forEach((p, i) => {
    if (p.keySource && p.keySource.kind !== 'certificate') {
      add(
        `partners[${i}].keySource.url`,
        insecureUrlProblem(p.keySource.url, config.keySources.allowInsecureHosts, 'keySources.allowInsecureHosts'),
      );
    }
    p.baseUrls.forEach((u, j) =>
      add(
        `partners[${i}].baseUrls[${j}]`,
        insecureUrlProblem(u, config.outbound.allowInsecureHosts, 'outbound.allowInsecureHosts'),
      ),
    );
  });
  const overlap = findOverlappingBaseUrls(config.partners);
  if (overlap) {
    const names = [config.partners[overlap.first]!.name, config.partners[overlap.second]!.name];
    add(
      `partners[${overlap.second}].baseUrls`,
      `${overlap.other} overlaps ${overlap.url} of partner "${names[0]}": a call there could go to either partner with the other's token`,
    );
  }
  config.authorizationServers.forEach((a, i) =>
    add(
      `authorizationServers[${i}].metadataUrl`,
      insecureUrlProblem(a.metadataUrl, config.keySources.allowInsecureHosts, 'keySources.allowInsecureHosts'),
    ),
  );
  return issues;
}
