/*
 * The Microsoft S2S naming scheme (shared/PROTOCOL.md):
 *   principal  <principal id>@<realm>               e.g. 00000002-0000-0ff1-ce00-000000000000@contoso.com
 *   audience   <principal id>/<host[:port]>@<realm>  e.g. 00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com
 * Principal ids and realms compare exactly; the host compares case-insensitively.
 */

/** `<principal id>@<realm>`: the `iss` and `nameid` of a self-issued token. */
export function formatPrincipal(principalId: string, realm: string): string {
  return `${principalId}@${realm}`;
}

/** Whether `name` is {@link formatPrincipal}'s spelling of `principalId` and `realm`, compared without building it. */
export function isPrincipal(name: string, principalId: string, realm: string): boolean {
  return (
    name.length === principalId.length + 1 + realm.length &&
    name.charCodeAt(principalId.length) === 64 && // '@'
    name.startsWith(principalId) &&
    name.endsWith(realm)
  );
}

/** `<principal id>/<host>@<realm>`: the `aud` of a token addressed to a service at `host`. */
export function formatAudience(principalId: string, host: string, realm: string): string {
  return `${principalId}/${host.toLowerCase()}@${realm}`;
}

/** The parts of a principal or audience name; `host` is lower-cased and absent for a bare principal. */
export interface ParsedName {
  principalId: string;
  host?: string;
  realm: string;
}

/**
 * Splits `<id>@<realm>` or `<id>/<host>@<realm>`. The realm is what follows the last `@`.
 * Returns `undefined` for anything else (an empty part, or no `@`).
 */
export function parseName(name: string): ParsedName | undefined {
  const at = name.lastIndexOf('@');
  if (at <= 0 || at === name.length - 1) return undefined;
  const realm = name.slice(at + 1);
  const left = name.slice(0, at);
  const slash = left.indexOf('/');
  if (slash === -1) return { principalId: left, realm };
  const principalId = left.slice(0, slash);
  const host = left.slice(slash + 1).toLowerCase();
  if (!principalId || !host) return undefined;
  return { principalId, host, realm };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Principal ids and realms compare exactly, except GUIDs, which compare case-insensitively. */
export function sameIdentifier(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length || !GUID.test(a) || !GUID.test(b)) return false;
  // Hex digits and '-' differ only in the lower-case bit when they differ only in case: no
  // lower-cased copies (the registry compares the issuer with every partner on each token).
  for (let i = 0; i < a.length; i++) if ((a.charCodeAt(i) | 0x20) !== (b.charCodeAt(i) | 0x20)) return false;
  return true;
}
