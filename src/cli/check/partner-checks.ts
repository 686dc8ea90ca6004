import { printable } from '../../core/partner-text';
import { isUsableKey } from '../../core/tokens/signature-algorithms';
import type { Partner } from '../../core/partners/partner-registry';
import type { KeySet } from '../../core/partners/verification-key';
import { KeySourceError } from '../../core/partners/fetch-document';
import { DAY_MS, EXPIRY_WARNING_DAYS, expiry, fail, pass, warn, type CheckResult } from './check-result';

/**
 * A partner's keys, as the service would get them: the source is reachable and parses, at least
 * one key is usable (an allowed type and size, its certificate valid), none expires within 30
 * days unobserved; and a metadata document's identity agrees with the configuration.
 */
export async function checkPartnerKeys(partner: Partner, now: number): Promise<CheckResult[]> {
  const subject = `partner ${partner.config.name}`;
  const source = partner.keySource;
  if (!source) return [warn(subject, 'keys', 'no keySource: its tokens are refused (key_not_found)')];
  let keySet: KeySet;
  try {
    keySet = await source.get();
  } catch (e) {
    // A remote source's message names its URL already.
    if (e instanceof KeySourceError) return [fail(subject, 'keys', printable(e.message, 1000))];
    return [fail(subject, 'keys', `${source.description}: ${printable((e as Error).message)}`)];
  }
  return [keyVerdict(subject, source.description, keySet, now), ...identityVerdict(subject, partner, keySet)];
}

function keyVerdict(subject: string, description: string, keySet: KeySet, now: number): CheckResult {
  const fitting = keySet.keys.filter((k) => isUsableKey(k.key));
  const valid = fitting.filter((k) => (k.notAfter ?? Infinity) > now && (k.notBefore ?? -Infinity) <= now);
  const from = `${keySet.keys.length} key${keySet.keys.length === 1 ? '' : 's'} from ${description}`;
  if (fitting.length === 0)
    return fail(subject, 'keys', `${from}, none usable (RSA of at least 2048 bits, or EC P-256 / P-384)`);
  if (valid.length === 0) return fail(subject, 'keys', `${from}: every certificate has expired or is not valid yet`);
  const latest = Math.max(...valid.map((k) => k.notAfter ?? Infinity));
  if (latest === Infinity) return pass(subject, 'keys', `${from}, ${valid.length} usable (no expiry published)`);
  if (latest - now < EXPIRY_WARNING_DAYS * DAY_MS)
    return warn(
      subject,
      'keys',
      `${from}: its last certificate expires ${expiry(latest, now)}; it must publish (or we configure) its next one`,
    );
  return pass(subject, 'keys', `${from}, ${valid.length} usable, valid until ${expiry(latest, now)}`);
}

/** What a metadata document says about the partner, against what we configured. */
function identityVerdict(subject: string, partner: Partner, keySet: KeySet): CheckResult[] {
  if (partner.config.keySource?.kind !== 'metadata') return [];
  const disagreements = (['applicationId', 'realm'] as const).filter(
    (field) =>
      partner.config[field] !== undefined &&
      keySet[field] !== undefined &&
      partner.config[field]!.toLowerCase() !== keySet[field]!.toLowerCase(),
  );
  if (disagreements.length > 0)
    return [
      fail(
        subject,
        'identity',
        disagreements
          .map(
            (f) => `its metadata names ${f} "${printable(keySet[f]!)}", the configuration says "${partner.config[f]}"`,
          )
          .join('; ') + ': its tokens will be refused (unknown_partner / realm_mismatch)',
      ),
    ];
  const applicationId = partner.config.applicationId ?? keySet.applicationId;
  const realm = partner.config.realm ?? keySet.realm;
  if (!applicationId)
    return [fail(subject, 'identity', 'neither the configuration nor its metadata names its applicationId')];
  return [
    pass(
      subject,
      'identity',
      `${printable(applicationId)}@${realm ? printable(realm) : '(realm discovered when called)'}, as its metadata says`,
    ),
  ];
}
