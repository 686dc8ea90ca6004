import { printable } from '../../core/partner-text';

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
 * Every line's text once more through {@link printable}: whatever a partner supplied and a check
 * forgot to filter (a realm, a redirect target, a library's message) cannot reach the terminal raw.
 */
function safe(results: readonly CheckResult[]): CheckResult[] {
  return results.map((r) => ({ ...r, subject: printable(r.subject, 200), detail: printable(r.detail, 2000) }));
}

/** The report as people read it: one line per check. */
export function formatText(all: readonly CheckResult[]): string {
  const results = safe(all);
  const width = Math.max(...results.map((r) => r.subject.length));
  const lines = results.map((r) => `${r.status}  ${r.subject.padEnd(width)}  ${r.check}: ${r.detail}`);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${lines.join('\n')}\n\n${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed\n`;
}

/** The report for scripts. */
export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: !results.some((r) => r.status === 'FAIL'), checks: safe(results) }, null, 2)}\n`;
}
