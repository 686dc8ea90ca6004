import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { S2SEvent, VerificationEvent } from '../core/events';

/** A decision's attributes: outcome, partner (once known), cache (verifier decisions), code and status (refusals). */
function decisionAttributes(event: VerificationEvent): Attributes {
  const attributes: Attributes = { 's2s_oauth.decision': event.type };
  if (event.partner !== undefined) attributes['s2s_oauth.partner'] = event.partner;
  if (event.cached !== undefined) attributes['s2s_oauth.cache'] = event.cached ? 'hit' : 'miss';
  if (event.type === 'rejected') {
    attributes['error.type'] = event.code!;
    attributes['http.response.status_code'] = event.status!;
  }
  return attributes;
}

/**
 * The metrics, by name (OpenTelemetry semantic-convention style: a `s2s_oauth.` namespace, UCUM
 * units, durations in seconds). Attributes are bounded: outcomes, reason codes and configured
 * partner names; never a token, a key, a URL with a user in it, or a user id (personal data,
 * and unbounded).
 */
export const METRIC_NAMES = {
  /** Counter `{decision}`: inbound calls accepted or refused. */
  decisions: 's2s_oauth.inbound.decisions',
  /** Histogram `s`: time to verify an inbound token. */
  verificationDuration: 's2s_oauth.inbound.verification.duration',
  /** Counter `{fetch}`: key-source and metadata fetches by outcome. */
  keySourceFetches: 's2s_oauth.key_source.fetches',
  /** Counter `{token}`: outbound tokens minted or obtained. */
  outboundTokens: 's2s_oauth.outbound.tokens',
  /** Counter `{retry}`: outbound calls retried after a 401. */
  outboundRetries: 's2s_oauth.outbound.retries',
  /** Counter `{failure}`: outbound calls refused before sending. */
  outboundFailures: 's2s_oauth.outbound.failures',
} as const;

/** Verification takes microseconds when cached, milliseconds when keys are fetched: buckets for both. */
const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
];

/** Turns the library's events into counts and times on one meter. */
export class MetricRecorder {
  /**
   * Decisions are counted here, by attribute set, and reported by an asynchronous counter when
   * the SDK collects: a number incremented per request instead of the SDK hashing the attributes
   * on every call (about 0.8 µs each, on the path of every request).
   */
  private readonly decisionCounts = new Map<string, { attributes: Attributes; count: number }>();
  /** The histogram's four attribute sets, made once. */
  private readonly durationAttributes = new Map<string, Attributes>();
  private readonly duration: Histogram;
  private readonly fetches: Counter;
  private readonly tokens: Counter;
  private readonly retries: Counter;
  private readonly failures: Counter;

  constructor(meter: Meter) {
    meter
      .createObservableCounter(METRIC_NAMES.decisions, {
        description: 'Inbound calls accepted or refused, by partner and reason code',
        unit: '{decision}',
      })
      .addCallback((result: ObservableResult) => {
        for (const { attributes, count } of this.decisionCounts.values()) result.observe(count, attributes);
      });
    this.duration = meter.createHistogram(METRIC_NAMES.verificationDuration, {
      description: 'Time to verify an inbound token, verified-token cache hits and misses apart',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.fetches = meter.createCounter(METRIC_NAMES.keySourceFetches, {
      description: 'Key-source and metadata fetches: fetched, failed (nothing usable) or stale (old keys still served)',
      unit: '{fetch}',
    });
    this.tokens = meter.createCounter(METRIC_NAMES.outboundTokens, {
      description: 'Tokens minted, or obtained from an authorization server, for calling partners',
      unit: '{token}',
    });
    this.retries = meter.createCounter(METRIC_NAMES.outboundRetries, {
      description: 'Partner calls retried once with a new token after a 401 invalid_token',
      unit: '{retry}',
    });
    this.failures = meter.createCounter(METRIC_NAMES.outboundFailures, {
      description: 'Partner calls refused before sending (no route, no token, token request failed), by code',
      unit: '{failure}',
    });
  }

  /** The histogram's attributes for a decision: outcome and cache. */
  private durationOf(event: VerificationEvent): Attributes {
    const key = `${event.type} ${event.cached === true}`;
    let attributes = this.durationAttributes.get(key);
    if (!attributes) {
      attributes = { 's2s_oauth.decision': event.type, 's2s_oauth.cache': event.cached ? 'hit' : 'miss' };
      this.durationAttributes.set(key, attributes);
    }
    return attributes;
  }

  record(event: S2SEvent): void {
    switch (event.type) {
      case 'accepted':
      case 'rejected': {
        const key = `${event.type}\u0000${event.partner ?? ''}\u0000${event.cached ?? ''}\u0000${event.code ?? ''}\u0000${event.status ?? ''}`;
        const counted = this.decisionCounts.get(key);
        if (counted) counted.count++;
        else this.decisionCounts.set(key, { attributes: decisionAttributes(event), count: 1 });
        if (event.durationMs !== undefined) this.duration.record(event.durationMs / 1000, this.durationOf(event));
        return;
      }
      case 'key_source':
        return this.fetches.add(1, {
          's2s_oauth.owner': event.owner,
          's2s_oauth.outcome': event.outcome,
          ...(event.reason && { 'error.type': event.reason }),
        });
      case 'outbound': {
        const partner = event.partner !== undefined ? { 's2s_oauth.partner': event.partner } : {};
        if (event.outcome === 'retried') return this.retries.add(1, partner);
        if (event.outcome === 'refused')
          return this.failures.add(1, { ...partner, 'error.type': event.code ?? 'unknown' });
        return this.tokens.add(1, {
          ...partner,
          's2s_oauth.token.source': event.outcome === 'minted' ? 'self_issued' : 'authorization_server',
          's2s_oauth.token.refresh': event.refresh === true,
        });
      }
      default:
        return;
    }
  }
}
