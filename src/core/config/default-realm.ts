import { isIP } from 'node:net';

/**
 * The realm a service gets when none is configured: its primary domain, i.e. its first hostname
 * without the host label (`contacts.contoso.com` -> `contoso.com`), as Skype for Business uses the
 * organisation's domain; but never a public suffix: `example.co.uk` is its own realm, not
 * `co.uk` (the Public Suffix List, through tldts). Returns `undefined` where no domain can be
 * derived (IP addresses, `localhost`, a public suffix itself): such services must set `realm`.
 */
export function defaultRealmFor(hostname: string): string | undefined {
  const host = hostname.replace(/:\d+$/, '').toLowerCase();
  if (isIP(host) || !host.includes('.')) return undefined;
  // Loaded only here, by services that leave `realm` out: the suffix list is large.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getDomain } = require('tldts') as typeof import('tldts');
  const registrable = getDomain(host);
  if (!registrable) return undefined;
  const parent = host.slice(host.indexOf('.') + 1);
  return parent === registrable || parent.endsWith(`.${registrable}`) ? parent : registrable;
}
