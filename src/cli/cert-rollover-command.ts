import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createOAuthCertificate } from '../core/certificates/create-certificate';
import { parseCertificate } from '../core/certificates/oauth-certificate';
import { loadConfig, parseConfig } from '../core/config/parse-config';
import { createS2SAuth } from '../s2s-auth';
import { UsageError, type CliIo } from './cli-io';
import { certificateInToken, PKCS11_HELP, PKCS11_OPTIONS, pkcs11SignerFromFlags } from './pkcs11-certificate';

export const CERT_ROLLOVER_HELP = `Usage: s2s-oauth cert rollover --config FILE [options]

Schedules the next signing certificate, as Set-AuthConfig -NewCertificateThumbprint
-NewCertificateEffectiveDate does on Microsoft servers: creates it (or takes --certificate and
--key), writes it as "signing.next" with its "effectiveAt" into the configuration file, and
prints its thumbprints and when partners will see it. Published at once by a service that loads
the file; it signs from effectiveAt on.

Options:
  --config FILE         the service's s2s-oauth configuration (JSON)                 required
  --lead-hours N        effectiveAt = now + N hours (default 24: every partner's key cache
                        refreshes first)
  --effective-at ISO    effectiveAt as an ISO 8601 date-time instead
  --out DIR             where to write the new certificate and key (default: beside the
                        current certificate, or the configuration's folder)
  --certificate FILE    use this certificate (PEM) instead of creating one (with --key)
  --key FILE            its private key (PEM)
  --key-type TYPE       rsa (default) or ec, for a created certificate
  --days N              validity in days of a created certificate (default 365)
  --force               replace a "signing.next" that is already scheduled
${PKCS11_HELP.trimEnd()}
                        (for a next key in the token: --pkcs11-key names it; module, token and
                        PIN variable default to the current signer's)
  --help                this text
`;

export const CERT_STATUS_HELP = `Usage: s2s-oauth cert status --config FILE

Shows the service's signing certificates (the current one and a scheduled next one) with their
thumbprints, validity and days left, and which one signs now.

Options:
  --config FILE   the service's s2s-oauth configuration (JSON)    required
  --help          this text
`;

const DAY_MS = 86_400_000;

export async function certRollover(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'lead-hours': { type: 'string' },
      'effective-at': { type: 'string' },
      out: { type: 'string' },
      certificate: { type: 'string' },
      key: { type: 'string' },
      'key-type': { type: 'string' },
      days: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
      ...PKCS11_OPTIONS,
    },
    strict: true,
  });
  if (values.help) return (io.out(CERT_ROLLOVER_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  if (values['lead-hours'] !== undefined && values['effective-at'] !== undefined)
    throw new UsageError('give --lead-hours or --effective-at, not both');
  if ((values.certificate === undefined) !== (values.key === undefined))
    throw new UsageError('--certificate and --key go together');
  const leadHours = values['lead-hours'] === undefined ? 24 : Number(values['lead-hours']);
  if (!Number.isFinite(leadHours) || leadHours < 0) throw new UsageError('--lead-hours must be a number of hours >= 0');
  const effectiveAt =
    values['effective-at'] === undefined
      ? new Date(Date.now() + leadHours * 3_600_000)
      : new Date(values['effective-at']);
  if (Number.isNaN(effectiveAt.getTime())) throw new UsageError('--effective-at must be an ISO 8601 date-time');

  const configPath = resolve(values.config);
  const service = createS2SAuth(loadConfig(configPath)); // the current configuration must be valid first
  const raw = JSON.parse(readFileSync(configPath, 'utf8').replace(/^\uFEFF/, '')) as {
    signing: Record<string, unknown>;
  };
  if (raw.signing.next !== undefined && !values.force)
    throw new UsageError('signing.next is scheduled already (use --force to replace it)');

  const configDir = dirname(configPath);
  const current = service.config.signing.certificate;
  const outDir = resolve(values.out ?? (typeof current === 'string' ? dirname(current) : configDir));
  const stamp = effectiveAt.toISOString().slice(0, 10);
  const currentSigner = service.config.signing.signer;
  const signer = pkcs11SignerFromFlags(values, currentSigner?.kind === 'pkcs11' ? currentSigner : undefined);
  if (signer && values.certificate) throw new UsageError('--certificate / --key and --pkcs11-key exclude each other');
  const keyType = values['key-type'] ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ec') throw new UsageError(`--key-type must be rsa or ec, not "${keyType}"`);
  const days = values.days === undefined ? 365 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new UsageError('--days must be a whole number from 1 to 3650');
  const subject = {
    realm: service.config.realm,
    additionalRealms: service.config.additionalRealms,
    name: service.config.serviceName,
    days,
  };
  let certificatePem: string;
  let privateKeyPem: string | undefined;
  if (signer) {
    certificatePem = await certificateInToken(signer, { ...subject, generate: values.generate === true, keyType });
  } else if (values.certificate) {
    certificatePem = readFileSync(values.certificate, 'utf8');
    privateKeyPem = readFileSync(values.key!, 'utf8');
  } else {
    ({ certificatePem, privateKeyPem } = await createOAuthCertificate({ ...subject, keyType }));
  }
  const certificateFile = join(outDir, `oauth-cert-${stamp}.pem`);
  const keyFile = join(outDir, `oauth-key-${stamp}.pem`);
  if (!values.force && (existsSync(certificateFile) || (privateKeyPem !== undefined && existsSync(keyFile))))
    throw new UsageError(`${certificateFile} or ${keyFile} exists already (use --force)`);
  const asWritten = (file: string) => {
    const rel = relative(configDir, file);
    return isAbsolute(rel) || rel.startsWith('..') ? file : rel;
  };
  const next = {
    certificate: asWritten(certificateFile),
    ...(privateKeyPem !== undefined ? { privateKey: asWritten(keyFile) } : { signer }),
    effectiveAt: effectiveAt.toISOString(),
  };

  // Validated as a whole before anything is written: the new pair must load with the current one.
  const candidate = {
    ...raw,
    signing: {
      ...raw.signing,
      next: {
        certificate: { pem: certificatePem },
        ...(privateKeyPem !== undefined ? { privateKey: { pem: privateKeyPem } } : { signer }),
        effectiveAt: next.effectiveAt,
      },
    },
  };
  const checked = createS2SAuth(parseConfig(candidate, { baseDir: configDir }));
  await checked.ready(); // a key in a token: its probe signature matches the certificate

  mkdirSync(outDir, { recursive: true });
  if (privateKeyPem !== undefined) writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
  writeFileSync(certificateFile, certificatePem);
  // The configuration is replaced in one rename: a service watching it never reads half a file.
  const temporary = `${configPath}.rollover-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify({ ...raw, signing: { ...raw.signing, next } }, null, 2)}\n`);
  renameSync(temporary, configPath);

  const cert = parseCertificate(certificatePem, certificateFile);
  const ttlHours = service.config.keySources.ttlSeconds / 3600;
  io.out(
    [
      `next certificate  ${certificateFile}`,
      privateKeyPem !== undefined
        ? `private key       ${keyFile}`
        : `private key       in the token (${signer!.key}): never in a file`,
      `x5t               ${cert.x5t}`,
      `x5t#S256 (kid)    ${cert.x5tS256}`,
      `valid             ${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`,
      `effectiveAt       ${next.effectiveAt} (signs from then on)`,
      `published         as soon as the service loads ${values.config}; partners with default settings`,
      `                  see it within ${ttlHours} h of that (their key cache TTL)`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function certStatus(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) return (io.out(CERT_STATUS_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  const config = loadConfig(values.config);
  const service = createS2SAuth(config);
  const now = Date.now();
  const active = service.signingKeys.active();
  const line = (role: string, c: { x5t: string; notBefore: Date; notAfter: Date }, extra = '') =>
    `${role.padEnd(8)} x5t ${c.x5t}  valid ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()} (${Math.floor((c.notAfter.getTime() - now) / DAY_MS)} days left)${c.x5t === active.x5t ? '  SIGNS NOW' : ''}${extra}`;
  const out: string[] = [];
  const [first, second] = service.signingKeys.published();
  const effective = config.signing.next?.effectiveAt;
  if (second && effective && new Date(effective).getTime() > now) {
    out.push(line('current', first!), line('next', second, `  effective ${effective}`));
  } else if (second) {
    out.push(
      line('current', first!, effective ? `  (the next certificate, effective since ${effective})` : ''),
      line('previous', second),
    );
  } else {
    out.push(line('current', first!), 'next     none scheduled (s2s-oauth cert rollover)');
  }
  io.out(out.join('\n') + '\n');
  return 0;
}
