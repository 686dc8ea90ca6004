import type { S2SEvent } from '../events';

/** A method of a logger: `(message, fields)` (winston, console) or `(fields, message)` (pino). */
export type LogMethod = (...args: unknown[]) => void;

/**
 * Any logger with the usual level methods: pino, winston, bunyan, `console`. `debug` is optional
 * (without it, debug lines are dropped).
 */
export interface Logger {
  /** Detail for debugging: refusals, fetches, mints. */
  debug?: LogMethod;
  /** What changed: start-up, partner changes, reloads, certificates scheduled. */
  info: LogMethod;
  /** What needs attention soon: stale keys served, certificates near expiry, refused reloads. */
  warn: LogMethod;
  /** What is failing now: key sources down with nothing cached, the fleet store out of reach. */
  error: LogMethod;
}

/** The level of a line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line: its level, a message that stands alone, and structured fields (never a secret). */
export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

const PREFIX = 's2s-oauth: ';

/**
 * Writes a line in the logger's own convention: pino (recognised by its `bindings()`) takes the
 * fields first, the others the message first. The message carries what matters on its own, so
 * a logger that drops the fields loses nothing important.
 */
export function writeLine(logger: Logger, line: LogLine): void {
  const method = logger[line.level];
  if (typeof method !== 'function') return;
  const fields: Record<string, unknown> = { component: 's2s-oauth' };
  for (const [name, value] of Object.entries(line.fields)) if (value !== undefined) fields[name] = value;
  const pinoStyle = typeof (logger as { bindings?: unknown }).bindings === 'function';
  if (pinoStyle) method.call(logger, fields, PREFIX + line.message);
  else method.call(logger, PREFIX + line.message, fields);
}

const list = (names: readonly string[] | undefined) => (names && names.length > 0 ? names.join(', ') : 'none');

/** The log line for an event, `undefined` for events not worth a line (acceptances). */
export function lineFor(event: S2SEvent): LogLine | undefined {
  switch (event.type) {
    case 'accepted':
      return undefined;
    case 'rejected': {
      const who = event.partner ? `a call from ${event.partner}` : 'a call';
      const fields = { code: event.code, status: event.status, partner: event.partner, reason: event.reason };
      // A 503 is an outage on our side (keys, replay store, fleet), not a bad token.
      return event.status !== undefined && event.status >= 500
        ? {
            level: 'warn',
            message: `could not verify ${who}: ${event.status} ${event.code}${event.reason ? ` (${event.reason})` : ''}`,
            fields,
          }
        : { level: 'debug', message: `refused ${who}: ${event.status} ${event.code}`, fields };
    }
    case 'key_source': {
      const fields = { owner: event.owner, url: event.url, outcome: event.outcome, reason: event.reason };
      if (event.outcome === 'fetched')
        return { level: 'debug', message: `fetched the keys of ${event.owner} (${event.url})`, fields };
      if (event.outcome === 'stale')
        return {
          level: 'warn',
          message: `the keys of ${event.owner} could not be refreshed (${event.reason}); serving those fetched before (${event.url})`,
          fields,
        };
      return {
        level: 'error',
        message: `the keys of ${event.owner} are unavailable (${event.reason}): its tokens get 503 until ${event.url} answers`,
        fields,
      };
    }
    case 'certificate_expiring':
      return {
        level: 'warn',
        message: `the certificate ${event.x5t} of partner ${event.partner} ${event.expired ? 'has expired' : event.notYetValid ? 'is not valid yet' : `expires in ${event.daysLeft} days`} (${event.notAfter})`,
        fields: { partner: event.partner, x5t: event.x5t, notAfter: event.notAfter, daysLeft: event.daysLeft },
      };
    case 'outbound': {
      const fields = { partner: event.partner, outcome: event.outcome, code: event.code, refresh: event.refresh };
      const to = event.partner ?? 'a partner';
      if (event.outcome === 'refused') return { level: 'warn', message: `did not call ${to}: ${event.code}`, fields };
      if (event.outcome === 'retried')
        return {
          level: 'info',
          message: `${to} refused our token (401 invalid_token): retried once with a new one`,
          fields,
        };
      return {
        level: 'debug',
        message: `${event.outcome === 'minted' ? 'minted' : 'obtained from the authorization server'} a token for ${to}${event.refresh ? ' (refresh)' : ''}`,
        fields,
      };
    }
    case 'partner_change':
      return {
        level: 'info',
        message: `partner ${event.partner} ${event.action}${event.enabled === false ? ' (disabled)' : ''}`,
        fields: { partner: event.partner, action: event.action, enabled: event.enabled },
      };
    case 'fleet': {
      const fields = { partner: event.partner, outcome: event.outcome };
      const about = event.partner ? ` for partner ${event.partner}` : '';
      if (event.outcome === 'unreachable')
        return { level: 'error', message: 'the fleet store is out of reach: partner changes are not shared', fields };
      if (event.outcome === 'record_failed' || event.outcome === 'invalid')
        return {
          level: 'warn',
          message: `fleet: ${event.outcome === 'invalid' ? 'a stored record is not a change and was skipped' : 'a change made here was not recorded'}${about}`,
          fields,
        };
      if (event.outcome === 'store_reset')
        return {
          level: 'warn',
          message:
            'fleet: the store lost its memory (restarted empty?): this instance wrote back the partner state it knows',
          fields,
        };
      return {
        level: event.outcome === 'recorded' ? 'debug' : 'info',
        message: `fleet: ${event.outcome}${about}`,
        fields,
      };
    }
    case 'reload':
      return event.outcome === 'applied'
        ? {
            level: 'info',
            message: `configuration reloaded: partners added ${list(event.added)}; changed ${list(event.changed)}; removed ${list(event.removed)}`,
            fields: { added: event.added, changed: event.changed, removed: event.removed },
          }
        : {
            level: 'warn',
            message: `configuration reload refused, the running one stays: ${(event.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            fields: { paths: (event.issues ?? []).map((i) => i.path) },
          };
    case 'signing_certificate':
      return event.outcome === 'scheduled'
        ? {
            level: 'info',
            message: `new signing certificate ${event.x5t} published, signs from ${event.effectiveAt}`,
            fields: { x5t: event.x5t, effectiveAt: event.effectiveAt },
          }
        : {
            level: 'warn',
            message: `new signing files refused, the current pair stays: ${(event.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            fields: { paths: (event.issues ?? []).map((i) => i.path) },
          };
    case 'partner_certificate':
      return event.outcome === 'reloaded'
        ? {
            level: 'info',
            message: `partner ${event.partner}: new certificates in use`,
            fields: { partner: event.partner },
          }
        : {
            level: 'warn',
            message: `partner ${event.partner}: new certificate files refused, its old keys stay`,
            fields: { partner: event.partner, paths: (event.issues ?? []).map((i) => i.path) },
          };
    case 'replay_store':
      return event.outcome === 'new_epoch'
        ? {
            level: 'warn',
            message: `the replay store lost its memory: tokens of requireUniqueJti partners issued before ${event.since} are refused until they expire (callers get fresh ones)`,
            fields: { outcome: event.outcome, since: event.since },
          }
        : {
            level: 'warn',
            message:
              "the replay store's epoch marker was not one we write (junk, or in the future): treated as missing",
            fields: { outcome: event.outcome },
          };
  }
}

/** An event sink that logs each event at its level. */
export function logEvents(logger: Logger): (event: S2SEvent) => void {
  return (event) => {
    const line = lineFor(event);
    if (line) writeLine(logger, line);
  };
}

/** What the start-up line says: who we are and whom we trust (public facts only). */
export interface StartupSummary {
  serviceName: string;
  realm: string;
  signing: { x5t: string; notAfter: Date };
  next?: { x5t: string; from: number };
  partners: ReadonlyArray<{ name: string; trustLevel: string; enabled: boolean }>;
  authorizationServers: readonly string[];
}

/** The start-up line: identity, signing certificate, partners and servers; no secret, no path to a key. */
export function startupLine(summary: StartupSummary): LogLine {
  const partners = summary.partners.map((p) => `${p.name} (${p.trustLevel}${p.enabled ? '' : ', disabled'})`);
  return {
    level: 'info',
    message:
      `${summary.serviceName}@${summary.realm} ready: signing with ${summary.signing.x5t} until ${summary.signing.notAfter.toISOString()}` +
      `${summary.next ? `, next ${summary.next.x5t} from ${new Date(summary.next.from).toISOString()}` : ''}; ` +
      `partners: ${list(partners)}; authorization servers: ${list(summary.authorizationServers)}`,
    fields: {
      serviceName: summary.serviceName,
      realm: summary.realm,
      x5t: summary.signing.x5t,
      notAfter: summary.signing.notAfter.toISOString(),
      partners: summary.partners.map((p) => p.name),
      authorizationServers: summary.authorizationServers,
    },
  };
}
