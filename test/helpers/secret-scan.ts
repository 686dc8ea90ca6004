/*
 * A scan for secrets in what the library says: error messages, events, challenges and CLI output
 * produced by bad input. Helpers across the suite hand what they see to `inspectForSecrets`; a
 * hook after every test (test/helpers/secret-scan-setup.ts) fails the test if anything leaked.
 */

/** What a secret looks like when it leaks. */
const SECRET_SHAPES: Array<[string, RegExp]> = [
  ['a PEM block', /-----BEGIN [A-Z0-9 ]+-----/],
  // PKCS#8 / PKCS#1 private keys in base64 DER: a SEQUENCE, then INTEGER 0 (the version), which
  // base64 spells AgEA or IBA[AD] depending on the length bytes before it.
  ['private-key material (base64 DER)', /MI[A-Za-z0-9+/]{2,4}(?:AgEA|IBA[AD])/],
  ['private-key material (a JWK "d")', /"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/],
  ['a token (compact JWS)', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/],
];

/** Secrets a test made (a PIN): they must appear nowhere, in any form the scan sees. */
const known: Array<[string, string]> = [];

/** Makes the scan look for `value` itself (at least 6 characters) everywhere it looks, as `name`. */
export function treatAsSecret(name: string, value: string): void {
  if (value.length < 6) throw new Error('treatAsSecret: too short to tell from other text');
  known.push([name, value]);
}

let leaks: string[] = [];
let inspected = 0;

/** Returns what in `text` looks like a secret (empty when nothing does). */
export function findSecrets(text: string): string[] {
  return [
    ...SECRET_SHAPES.filter(([, shape]) => shape.test(text)).map(([name]) => name),
    ...known.filter(([, value]) => text.includes(value)).map(([name]) => name),
  ];
}

/** Records any secret in `value` (a string, an error, an event or a header set), seen at `where`. */
export function inspectForSecrets(where: string, value: unknown): void {
  inspected++;
  const text =
    value instanceof Error
      ? `${value.message} ${JSON.stringify(value)}`
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  for (const found of findSecrets(text ?? '')) leaks.push(`${where}: ${found}`);
}

/** The leaks recorded since the last call, and how many values were inspected; then forgets both. */
export function drainSecretScan(): { leaks: string[]; inspected: number } {
  const result = { leaks, inspected };
  leaks = [];
  inspected = 0;
  return result;
}
