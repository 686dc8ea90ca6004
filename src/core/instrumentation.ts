import type { EventSink } from './events';

/** The spans the library opens around its I/O. */
export type SpanName =
  /** A partner's key source or an authorization server's metadata fetched. */
  | 's2s_oauth.key_source.fetch'
  /** A client-credentials token asked of an authorization server. */
  | 's2s_oauth.token_request'
  /** A partner's realm learned from its 401 challenge. */
  | 's2s_oauth.realm_discovery'
  /** The token step of an outbound call (minting, or waiting for the token being minted). */
  | 's2s_oauth.outbound.token';

/** Span attributes: names and public values (never a token, a key or a user). */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** Runs `work` inside a span named `name`, a child of the active context. */
export type SpanRunner = <T>(name: SpanName, attributes: SpanAttributes, work: () => Promise<T>) => Promise<T>;

/**
 * How an observability adapter (`openTelemetry()` from `s2s-oauth/telemetry`) plugs into the
 * library: it hears every event (to count them), asks for verification times, and wraps I/O in
 * spans. Every member is optional; without an instrumentation the library does none of this.
 */
export interface Instrumentation {
  /** Receives every event, beside `onEvent`. Must not throw. */
  onEvent?: EventSink;
  /** Whether the verifier's decisions carry `durationMs` (two clock reads per request). */
  timesVerification?: boolean;
  /** Wraps the library's I/O in spans. */
  span?: SpanRunner;
}

/** `work()` inside a span when a runner is given, as it is otherwise (no cost without instrumentation). */
export function inSpan<T>(
  runner: SpanRunner | undefined,
  name: SpanName,
  attributes: SpanAttributes,
  work: () => Promise<T>,
): Promise<T> {
  return runner ? runner(name, attributes, work) : work();
}
