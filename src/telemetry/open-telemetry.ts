import { createNoopMeter, metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '../core/instrumentation';
import { MetricRecorder } from './metric-recorder';
import { spanRunner } from './span-runner';

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where metrics go. Default: the global provider when `openTelemetry()` is called (register the SDK first). */
  meterProvider?: MeterProvider;
  /** Where spans go. Default: the global provider (it forwards to an SDK registered later). */
  tracerProvider?: TracerProvider;
  /** Record metrics. Default `true`. */
  metrics?: boolean;
  /** Record spans. Default `true`. */
  traces?: boolean;
}

/** The instrumentation scope: the package and its version. */
const SCOPE = 's2s-oauth';
const VERSION = ((): string | undefined => {
  try {
    // dist/telemetry/ and src/telemetry/ both sit two levels below the package root.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
})();

/**
 * OpenTelemetry metrics and spans for `createS2SAuth(config, { instrumentation: openTelemetry() })`,
 * through `@opentelemetry/api` (an optional peer dependency): inbound decisions and verification
 * time, key-source fetches, outbound tokens, retries and failures (see the README for names,
 * attributes and units), and spans around key-source fetches, token requests, realm discovery
 * and the outbound token step. With no metrics SDK registered when it is called (nor a
 * `meterProvider` given), nothing is counted or timed per request: the API's meter would drop it.
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Instrumentation {
  const instrumentation: Instrumentation = {};
  const meter =
    options.metrics === false
      ? undefined
      : (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
  // Without an SDK the global meter is the API's no-op one for good (metrics have no proxy
  // provider, unlike traces): then nothing is counted or timed on the request path at all.
  if (meter && meter !== createNoopMeter()) {
    const recorder = new MetricRecorder(meter);
    instrumentation.onEvent = (event) => recorder.record(event);
    instrumentation.timesVerification = true;
  }
  if (options.traces !== false)
    instrumentation.span = spanRunner((options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION));
  return instrumentation;
}
