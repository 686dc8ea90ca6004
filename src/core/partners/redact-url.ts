/**
 * A URL as it may be shown (in error messages, events, logs and the `url.full` span attribute):
 * user-info and query values can be credentials (`https://user:pass@...`, `?sig=...`), so they
 * become `REDACTED`, as OpenTelemetry's semantic conventions for `url.full` ask. The parameter
 * names and everything else stay, so the URL is still recognisable.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '(not a URL)';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = 'REDACTED';
    parsed.password = 'REDACTED';
  }
  if (parsed.search !== '') {
    const names = [...new URLSearchParams(parsed.search).keys()];
    parsed.search = names.map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&');
  }
  return parsed.href;
}
