import { isIP } from 'node:net';

/**
 * The realm a service gets when none is configured: its primary domain, i.e. its first hostname
 * without the host label (`contacts.contoso.com` -> `contoso.com`), as Skype for Business uses the
 * organisation's domain. A two-label hostname is its own domain. Returns `undefined` where no domain
 * can be derived (IP addresses, `localhost`): such services must set `realm` explicitly.
 */
export function defaultRealmFor(hostname: string): string | undefined {
  const host = hostname.replace(/:\d+$/, '').toLowerCase();
  if (isIP(host) || !host.includes('.')) return undefined;
  const labels = host.split('.');
  return labels.length > 2 ? labels.slice(1).join('.') : host;
}
