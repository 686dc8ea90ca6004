/** The verdict of one check of `s2s-oauth check`. */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

/** One line of the report: what was checked, and what was found (never a token or a key). */
export interface CheckResult {
  status: CheckStatus;
  /** What it is about: `signing`, `metadata`, or `partner <name>`. */
  subject: string;
  /** The check: `certificate`, `next`, `published`, `keys`, `identity`, `outbound`, ... */
  check: string;
  /** What was found, and what to change when it is not a PASS. */
  detail: string;
}

export const pass = (subject: string, check: string, detail: string): CheckResult => ({
  status: 'PASS',
  subject,
  check,
  detail,
});
export const warn = (subject: string, check: string, detail: string): CheckResult => ({
  status: 'WARN',
  subject,
  check,
  detail,
});
export const fail = (subject: string, check: string, detail: string): CheckResult => ({
  status: 'FAIL',
  subject,
  check,
  detail,
});

export const DAY_MS = 86_400_000;
/** A certificate expiring within this is a WARN. */
export const EXPIRY_WARNING_DAYS = 30;

/** `2027-12-01 (in 365 days)`. */
export function expiry(notAfter: number, now: number): string {
  const days = Math.floor((notAfter - now) / DAY_MS);
  return `${new Date(notAfter).toISOString().slice(0, 10)} (${days >= 0 ? `in ${days} days` : `${-days} days ago`})`;
}

/**
 * Text a partner or a network error supplied, safe to print: printable ASCII only, anything shaped
 * like a JWT replaced (a misbehaving partner could echo our token in its `error_description`).
 */
export function printable(text: string): string {
  return text
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '(a token, not shown)')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 300);
}

/** The report as people read it: one line per check. */
export function formatText(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.subject.length));
  const lines = results.map((r) => `${r.status}  ${r.subject.padEnd(width)}  ${r.check}: ${r.detail}`);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${lines.join('\n')}\n\n${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed\n`;
}

/** The report for scripts. */
export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: !results.some((r) => r.status === 'FAIL'), checks: results }, null, 2)}\n`;
}
