import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOAuthCertificate, type CreateCertificateOptions } from '../../src/core/certificates/create-certificate';

/** A fresh temporary folder for one test file. */
export function tempDir(prefix = 's2s-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a new OAuth certificate and key to `dir/<stem>-cert.pem` and `dir/<stem>-key.pem`. */
export async function writeCertificate(
  dir: string,
  stem: string,
  options: Partial<CreateCertificateOptions> = {},
): Promise<{ certificate: string; privateKey: string; certificatePem: string; privateKeyPem: string }> {
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({
    realm: 'contoso.com',
    name: stem,
    ...options,
  });
  const certificate = join(dir, `${stem}-cert.pem`);
  const privateKey = join(dir, `${stem}-key.pem`);
  writeFileSync(certificate, certificatePem);
  writeFileSync(privateKey, privateKeyPem, { mode: 0o600 });
  return { certificate, privateKey, certificatePem, privateKeyPem };
}

/** Principal ids used across tests. */
export const IDS = {
  contacts: '11111111-1111-4111-8111-111111111111',
  messaging: '22222222-2222-4222-8222-222222222222',
  scheduler: '33333333-3333-4333-8333-333333333333',
  other: '44444444-4444-4444-8444-444444444444',
} as const;
