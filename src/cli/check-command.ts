import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/parse-config';
import type { Partner } from '../core/partners/partner-registry';
import { createS2SAuth, type S2SAuth } from '../s2s-auth';
import { UsageError, type CliIo } from './cli-io';
import { formatJson, formatText, warn, type CheckResult } from './check/check-result';
import { checkPublishedMetadata, checkSigning, ownMetadataUrl } from './check/own-service-checks';
import { checkPartnerKeys } from './check/partner-checks';
import { probeOutbound } from './check/outbound-probe';

export const CHECK_HELP = `Usage: s2s-oauth check --config FILE [--partner NAME] [--json]

Checks a deployment end to end, as Test-OAuthConnectivity does on Exchange: our signing
certificates (expiry, the scheduled next one) and our metadata where we publish it; for each
partner, its key source (reachable, parses, keys usable and not expiring within 30 days) and
the identity its metadata names; and, for partners with baseUrls, a real call with our token
(to probePath), reading the answer: 2xx or 403 means it trusts us, 401 that it does not, with
its challenge and what to change. One line per check: PASS, WARN or FAIL. No token is printed.

Options:
  --config FILE         the service's s2s-oauth configuration (JSON)               required
  --partner NAME        check only this partner (and our own certificates)
  --metadata-url URL    where our metadata is published (default: our first hostname,
                        https, or http where allowInsecureHosts allows it)
  --json                the report as JSON: { ok, checks: [{ status, subject, check, detail }] }
  --help                this text

Exit code: 0 when no check fails (warnings allowed), 1 when one fails or the configuration is
invalid, 2 on a usage error.
`;

export async function check(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      partner: { type: 'string' },
      'metadata-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return (io.out(CHECK_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  const s2s = createS2SAuth(loadConfig(values.config));
  try {
    const partners = selectPartners(s2s, values.partner);
    const results = await runChecks(s2s, partners, values['metadata-url'] ?? ownMetadataUrl(s2s), Date.now());
    io.out(values.json ? formatJson(results) : formatText(results));
    return results.some((r) => r.status === 'FAIL') ? 1 : 0;
  } finally {
    await s2s.close();
  }
}

function selectPartners(s2s: S2SAuth, name: string | undefined): Partner[] {
  if (name === undefined) return [...s2s.partners.all()];
  const partner = s2s.partners.get(name);
  if (!partner) throw new UsageError(`--partner: no partner named "${name}" in the configuration`);
  return [partner];
}

/** The checks, in the order they are reported: ours first, then each partner's. */
async function runChecks(s2s: S2SAuth, partners: Partner[], metadataUrl: string, now: number): Promise<CheckResult[]> {
  const results = [...checkSigning(s2s, now), await checkPublishedMetadata(s2s, metadataUrl)];
  for (const partner of partners) {
    if (!partner.config.enabled) {
      results.push(
        warn(`partner ${partner.config.name}`, 'enabled', 'disabled: its tokens are refused and it is not called'),
      );
      continue;
    }
    results.push(...(await checkPartnerKeys(partner, now)));
    if (partner.config.baseUrls.length > 0) results.push(await probeOutbound(s2s, partner));
  }
  return results;
}
