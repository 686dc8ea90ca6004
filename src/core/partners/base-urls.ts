/*
 * Where a partner is called: a URL is under a base URL when it has the same origin and its path
 * is the base path or lies below it (`/api` serves `/api` and `/api/x`, not `/apix`).
 */

function basePath(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

/** Whether `url` is at or under `base`. */
export function isUnderBaseUrl(base: URL, url: URL): boolean {
  if (base.origin !== url.origin) return false;
  const prefix = basePath(base);
  return prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
}

/** Whether two base URLs can serve the same URL (so one call could go to either partner). */
export function baseUrlsOverlap(a: URL, b: URL): boolean {
  return isUnderBaseUrl(a, b) || isUnderBaseUrl(b, a);
}

/** The first pair of partners (by index) whose base URLs overlap, with the URLs. */
export function findOverlappingBaseUrls(
  partners: ReadonlyArray<{ baseUrls: readonly string[] }>,
): { first: number; second: number; url: string; other: string } | undefined {
  const parsed = partners.map((p) => p.baseUrls.map((u) => new URL(u)));
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      for (const a of parsed[i]!)
        for (const b of parsed[j]!)
          if (baseUrlsOverlap(a, b)) return { first: i, second: j, url: a.href, other: b.href };
    }
  }
  return undefined;
}
