import type { VersionedPartnerChange } from './partner-state-store';

/*
 * A fleet store's records are read as untrusted input: anyone who can write to the store can
 * write anything there. Each record is checked on its own; one that is not a change (not JSON,
 * `null`, no version, an op we do not know, filed under another name) is skipped, never thrown.
 */

/** Partner names as the configuration allows them (the only names worth reporting in an event). */
const PARTNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `name` when it could be a partner's name, for an event; `undefined` for anything else (control characters, megabytes). */
export function reportableName(name: string): string | undefined {
  return PARTNER_NAME.test(name) ? name : undefined;
}

/**
 * The change a stored record holds, or `undefined` when it holds none. Records written by
 * earlier versions (`op: 'upsert'` with the partner's whole definition) count for the
 * definition's `enabled` only: a definition from the store is never applied.
 */
export function parseFleetRecord(name: string, value: string): VersionedPartnerChange | undefined {
  let record: unknown;
  try {
    record = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { version, change } = record as { version?: unknown; change?: unknown };
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= 0) return undefined;
  if (typeof change !== 'object' || change === null) return undefined;
  const { op, name: named, definition } = change as { op?: unknown; name?: unknown; definition?: unknown };
  if (named !== name || !PARTNER_NAME.test(name)) return undefined;
  if (op === 'enable' || op === 'disable' || op === 'remove') return { version, change: { op, name } };
  const enabled = (definition as { enabled?: unknown } | null | undefined)?.enabled;
  if (op === 'upsert' && typeof enabled === 'boolean')
    return { version, change: { op: enabled ? 'enable' : 'disable', name } };
  return undefined;
}
