import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { SpanName, SpanRunner } from '../core/instrumentation';

/** The work of an outbound call's token step happens here; the others wait on another system. */
const KIND: Record<SpanName, SpanKind> = {
  's2s_oauth.key_source.fetch': SpanKind.CLIENT,
  's2s_oauth.token_request': SpanKind.CLIENT,
  's2s_oauth.realm_discovery': SpanKind.CLIENT,
  's2s_oauth.outbound.token': SpanKind.INTERNAL,
};

/**
 * The library's stable name for a failure: its code (`token_request_failed`), its reason
 * category (`timeout`), or the error's class. Never its message (it may quote a URL or a
 * partner's text).
 */
function errorType(error: unknown): string {
  const { code, reason, name } = (error ?? {}) as { code?: unknown; reason?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  if (typeof reason === 'string') return reason;
  return typeof name === 'string' ? name : 'Error';
}

/** Spans as children of the active context (so a slow partner call shows where its time went). */
export function spanRunner(tracer: Tracer): SpanRunner {
  return (name, attributes, work) =>
    tracer.startActiveSpan(name, { kind: KIND[name], attributes }, async (span) => {
      try {
        return await work();
      } catch (error) {
        span.setAttribute('error.type', errorType(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}
