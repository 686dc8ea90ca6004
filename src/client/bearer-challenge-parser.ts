/**
 * Reads the parameters of the `Bearer` challenge in a `WWW-Authenticate` header (RFC 9110
 * section 11.6.1; RFC 6750 section 3): `realm`, `client_id`, `error`, ... Values may be tokens or
 * quoted strings with backslash escapes. Returns `undefined` when there is no Bearer challenge.
 */
export function parseBearerChallenge(header: string | null | undefined): Record<string, string> | undefined {
  if (!header) return undefined;
  const start = header.search(/(^|[\s,])Bearer(\s|$)/i);
  if (start === -1) return undefined;
  const params: Record<string, string> = {};
  const pattern = /\s*,?\s*([A-Za-z0-9_!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/y;
  pattern.lastIndex = header.indexOf('Bearer', start) + 'Bearer'.length;
  for (let match = pattern.exec(header); match; match = pattern.exec(header)) {
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
    // Stop at the next challenge's scheme (a bare token followed by a parameter, e.g. ", Basic realm=").
    params[match[1]!.toLowerCase()] ??= value;
  }
  return params;
}
