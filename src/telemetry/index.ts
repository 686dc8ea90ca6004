/**
 * `s2s-oauth/telemetry`: OpenTelemetry metrics and spans, through `@opentelemetry/api` (install it;
 * it is an optional peer dependency, needed only by those who import this subpath).
 *
 * ```ts
 * import { openTelemetry } from 's2s-oauth/telemetry';
 * const s2s = createS2SAuth(config, { instrumentation: openTelemetry() });
 * ```
 * @packageDocumentation
 */
export { openTelemetry, type OpenTelemetryOptions } from './open-telemetry';
export { METRIC_NAMES } from './metric-recorder';
export type { Instrumentation, SpanName, SpanAttributes, SpanRunner } from '../core/instrumentation';
