import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createOAuthCertificate } from '../core/certificates/create-certificate';
import { parseCertificate } from '../core/certificates/oauth-certificate';
import { UsageError, type CliIo } from './cli-io';
import { certificateInToken, PKCS11_HELP, PKCS11_OPTIONS, pkcs11SignerFromFlags } from './pkcs11-certificate';

export const CERT_NEW_HELP = `Usage: s2s-oauth cert new --realm REALM --name NAME --out DIR [options]

Creates a self-signed OAuth (token-signing) certificate: DIR/oauth-cert.pem and
DIR/oauth-key.pem (mode 0600), and prints its thumbprints. With --pkcs11-*, the key lives in a
PKCS#11 token (an HSM) and signs the certificate there: only DIR/oauth-cert.pem is written, and
the "signing" entry to configure is printed.

Options:
  --realm REALM     the service's realm (a DNS SAN of the certificate)      required
  --name NAME       the certificate's common name                          required
  --san REALM       an additional realm, as a further DNS SAN (repeatable)
  --out DIR         where to write the files                                required
  --key-type TYPE   rsa (RSA 2048, RS256; default) or ec (P-256, ES256)
  --days N          validity in days (default 365)
  --force           overwrite existing files
${PKCS11_HELP}  --help            this text
`;

export async function certNew(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      realm: { type: 'string' },
      name: { type: 'string' },
      san: { type: 'string', multiple: true },
      out: { type: 'string' },
      'key-type': { type: 'string' },
      days: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
      ...PKCS11_OPTIONS,
    },
    strict: true,
  });
  if (values.help) return (io.out(CERT_NEW_HELP), 0);
  for (const required of ['realm', 'name', 'out'] as const) {
    if (!values[required]) throw new UsageError(`--${required} is required`);
  }
  const keyType = values['key-type'] ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ec') throw new UsageError(`--key-type must be rsa or ec, not "${keyType}"`);
  const days = values.days === undefined ? 365 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new UsageError('--days must be a whole number from 1 to 3650');

  const out = values.out!;
  const certificatePath = join(out, 'oauth-cert.pem');
  const keyPath = join(out, 'oauth-key.pem');
  const signer = pkcs11SignerFromFlags(values);
  if (!values.force && (existsSync(certificatePath) || (!signer && existsSync(keyPath)))) {
    throw new UsageError(`${certificatePath} or ${keyPath} already exists (use --force to replace them)`);
  }
  const subject = { realm: values.realm!, name: values.name!, additionalRealms: values.san ?? [], days };
  let certificatePem: string;
  if (signer) {
    certificatePem = await certificateInToken(signer, { ...subject, generate: values.generate === true, keyType });
    mkdirSync(out, { recursive: true });
  } else {
    if (values.generate) throw new UsageError('--generate goes with --pkcs11-module');
    const created = await createOAuthCertificate({ ...subject, keyType });
    certificatePem = created.certificatePem;
    mkdirSync(out, { recursive: true });
    writeFileSync(keyPath, created.privateKeyPem, { mode: 0o600 });
  }
  writeFileSync(certificatePath, certificatePem);
  const cert = parseCertificate(certificatePem, certificatePath);
  io.out(
    [
      `certificate  ${certificatePath}`,
      signer ? `private key  in the token (${signer.key}): never in a file` : `private key  ${keyPath}`,
      `algorithm    ${cert.alg}`,
      `realms       ${cert.dnsNames.join(', ')}`,
      `valid        ${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`,
      `x5t          ${cert.x5t}`,
      `x5t#S256     ${cert.x5tS256}`,
      `kid          ${cert.kid}`,
      `sha1         ${Buffer.from(cert.x5t, 'base64url').toString('hex').toUpperCase()}`,
      ...(signer
        ? ['', 'configure:', JSON.stringify({ signing: { certificate: certificatePath, signer } }, null, 2)]
        : []),
      '',
    ].join('\n'),
  );
  return 0;
}
