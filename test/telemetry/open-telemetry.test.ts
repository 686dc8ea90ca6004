import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { S2SConfigInput } from '../../src/core/config/config-input';
import { openTelemetry, METRIC_NAMES } from '../../src/telemetry';
import { createTestPartner, createTestService, type TestPartner } from '../../src/testing';
import { listen, portOf } from '../helpers/listen';
import { manualClock } from '../helpers/service';
import { eventually } from '../helpers/eventually';
import { StaticAuthorizationServer } from '../helpers/static-authorization-server';

/*
 * The OpenTelemetry adapter against the real SDK: a MeterProvider with a reader collected on
 * demand, and a tracer provider exporting to memory, with the AsyncLocalStorage context manager
 * (what NodeSDK registers) so parent spans are seen across awaits. No mock anywhere.
 */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  attributes: Attributes;
  value: unknown;
}

function telemetry() {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    instrumentation: openTelemetry({ meterProvider, tracerProvider }),
    tracer: tracerProvider.getTracer('test'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** Every data point of `name`, with the metric's unit. */
    async metric(name: string): Promise<{ unit: string; points: Point[] }> {
      const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
      const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
      return {
        unit: found?.descriptor.unit ?? '',
        points: ((found?.dataPoints ?? []) as Point[]).map((p) => ({ attributes: p.attributes, value: p.value })),
      };
    },
    /** Every attribute value recorded, metrics and spans, as text: to look for what must never be there. */
    async everything(): Promise<string> {
      const { resourceMetrics } = await reader.collect();
      const points = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .flatMap((m) => m.dataPoints as Array<{ attributes: Attributes }>);
      return JSON.stringify([
        points.map((p) => p.attributes),
        exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.status, s.events]),
      ]);
    },
  };
}

const countOf = (points: Point[], attributes: Attributes) =>
  points.filter((p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes))).map((p) => p.value);
const sorted = (a: Attributes) => Object.fromEntries(Object.entries(a).sort(([x], [y]) => x.localeCompare(y)));

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('openTelemetry(): inbound decisions and verification time', () => {
  let im: TestPartner;
  let config: S2SConfigInput;
  let otel: ReturnType<typeof telemetry>;
  let app: express.Express;

  beforeAll(async () => {
    im = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec', permissions: ['read'] });
    config = await createTestService({ partners: [im.partnerConfig] }, { allowLoopbackHttp: true });
    otel = telemetry();
    const s2s = createS2SAuth(config, { instrumentation: otel.instrumentation });
    app = express();
    app.get('/r', s2s.middleware(), (_req, res) => res.end());
    app.get('/admin', s2s.middleware(), s2s.requirePermission('admin'), (_req, res) => res.end());
    app.use(s2s.errorHandler());
    const token = await im.mint({ audience: config, user: 'alice@contoso.com' });
    await request(app).get('/r').auth(token, { type: 'bearer' }).expect(200); // a miss
    await request(app).get('/r').auth(token, { type: 'bearer' }).expect(200); // a miss that caches it (its second sighting)
    await request(app).get('/admin').auth(token, { type: 'bearer' }).expect(403); // a hit, then a guard's refusal
    const expired = await im.mint({ audience: config, user: 'alice@contoso.com', expiresIn: -120 });
    await request(app).get('/r').auth(expired, { type: 'bearer' }).expect(401);
    const stranger = await createTestPartner({ trustLevel: 'Full', keyType: 'ec' });
    await request(app)
      .get('/r')
      .auth(await stranger.mint({ audience: config }), { type: 'bearer' })
      .expect(401);
  });

  it(`counts decisions in ${METRIC_NAMES.decisions} by outcome, partner, cache and code`, async () => {
    const { unit, points } = await otel.metric('s2s_oauth.inbound.decisions');
    expect(unit).toBe('{decision}');
    const accepted = { 's2s_oauth.decision': 'accepted', 's2s_oauth.partner': 'im' };
    expect(countOf(points, { ...accepted, 's2s_oauth.cache': 'hit' })).toEqual([1]); // the guard's request
    expect(countOf(points, { ...accepted, 's2s_oauth.cache': 'miss' })).toEqual([2]);
    expect(
      countOf(points, {
        's2s_oauth.decision': 'rejected',
        's2s_oauth.partner': 'im',
        's2s_oauth.cache': 'miss',
        'error.type': 'token_expired',
        'http.response.status_code': 401,
      }),
    ).toEqual([1]);
    expect(
      countOf(points, {
        's2s_oauth.decision': 'rejected',
        's2s_oauth.cache': 'miss',
        'error.type': 'unknown_partner',
        'http.response.status_code': 401,
      }),
    ).toEqual([1]);
    // A guard's refusal is a decision too, but no verification (no cache attribute, no time).
    expect(
      countOf(points, {
        's2s_oauth.decision': 'rejected',
        's2s_oauth.partner': 'im',
        'error.type': 'permission_denied',
        'http.response.status_code': 403,
      }),
    ).toEqual([1]);
    expect(points).toHaveLength(5);
  });

  it('times verification in seconds, cache hits and misses apart', async () => {
    const { unit, points } = await otel.metric('s2s_oauth.inbound.verification.duration');
    expect(unit).toBe('s');
    const hist = (attributes: Attributes) =>
      countOf(points, attributes)[0] as { count: number; sum: number; max: number };
    const miss = hist({ 's2s_oauth.decision': 'accepted', 's2s_oauth.cache': 'miss' });
    const hit = hist({ 's2s_oauth.decision': 'accepted', 's2s_oauth.cache': 'hit' });
    expect([miss.count, hit.count]).toEqual([2, 1]);
    expect(hist({ 's2s_oauth.decision': 'rejected', 's2s_oauth.cache': 'miss' }).count).toBe(2);
    // Plausible values: positive, well under a second on loopback.
    for (const h of [miss, hit]) expect(h.sum > 0 && h.max < 1).toBe(true);
  });

  it('records no token, key or user id in any attribute', async () => {
    const all = await otel.everything();
    expect(all).not.toMatch(/eyJ|BEGIN|alice/);
  });
});

describe('openTelemetry(): key sources', () => {
  it('counts fetched, failed and stale fetches by owner and reason, each in a span', async () => {
    const clock = manualClock();
    const fax = await createTestPartner({ name: 'fax', trustLevel: 'Full', keyType: 'ec', clock });
    const served = await fax.serveMetadata();
    const down = await createTestPartner({ name: 'down', trustLevel: 'Full', keyType: 'ec' });
    const gone = await down.serveMetadata();
    await gone.close();
    const otel = telemetry();
    const config = await createTestService(
      {
        partners: [gone.partnerConfig, served.partnerConfig],
        keySources: { ttlSeconds: 60, refreshCooldownSeconds: 1, timeoutMs: 1000 },
      },
      { allowLoopbackHttp: true },
    );
    const s2s = createS2SAuth(config, { instrumentation: otel.instrumentation, clock });
    // down's metadata is read while looking fax's issuer up (identities come from metadata).
    await expect(s2s.verifier.verify(await fax.mint({ audience: config }))).resolves.toMatchObject({ partner: 'fax' });
    await served.close();
    clock.advance(120_000); // past the TTL: the refresh fails, the old keys still serve
    await expect(s2s.verifier.verify(await fax.mint({ audience: config, claims: { n: 2 } }))).resolves.toBeDefined();

    const { unit, points } = await otel.metric('s2s_oauth.key_source.fetches');
    expect(unit).toBe('{fetch}');
    expect(countOf(points, { 's2s_oauth.owner': 'fax', 's2s_oauth.outcome': 'fetched' })).toEqual([1]);
    expect(
      countOf(points, { 's2s_oauth.owner': 'fax', 's2s_oauth.outcome': 'stale', 'error.type': 'network' }),
    ).toEqual([1]);
    expect(
      countOf(points, { 's2s_oauth.owner': 'down', 's2s_oauth.outcome': 'failed', 'error.type': 'network' })[0],
    ).toBeGreaterThanOrEqual(1);

    const fetches = otel.spans().filter((s) => s.name === 's2s_oauth.key_source.fetch');
    const ok = fetches.find((s) => s.attributes['s2s_oauth.owner'] === 'fax' && s.status.code !== 2)!;
    expect(ok.attributes).toEqual({
      's2s_oauth.owner': 'fax',
      's2s_oauth.document.kind': 'metadata',
      'url.full': served.metadataUrl,
    });
    const failed = fetches.find((s) => s.attributes['s2s_oauth.owner'] === 'down')!;
    expect([failed.status.code, failed.attributes['error.type']]).toEqual([2, 'network']); // SpanStatusCode.ERROR
    await s2s.close();
  });

  it('a key source down with nothing cached: a 503 decision with its code', async () => {
    const down = await createTestPartner({ name: 'down', trustLevel: 'Full', keyType: 'ec' });
    const gone = await down.serveMetadata();
    await gone.close();
    const otel = telemetry();
    // A signed URL (its signature in the query string), as blob stores hand out: never shown whole.
    const signed = {
      ...gone.partnerConfig,
      keySource: { kind: 'metadata' as const, url: `${gone.metadataUrl}?sig=s3cr3t` },
    };
    const config = await createTestService({ partners: [signed] }, { allowLoopbackHttp: true });
    const s2s = createS2SAuth(config, { instrumentation: otel.instrumentation });
    await expect(s2s.verifier.verify(await down.mint({ audience: config }))).rejects.toMatchObject({
      code: 'key_source_unavailable',
    });
    const fetch = otel.spans().find((s) => s.name === 's2s_oauth.key_source.fetch')!;
    expect(fetch.attributes['url.full']).toBe(`${gone.metadataUrl}?sig=REDACTED`);
    expect(await otel.everything()).not.toContain('s3cr3t');
    const { points } = await otel.metric('s2s_oauth.inbound.decisions');
    expect(points.map((p) => p.attributes)).toEqual([
      {
        's2s_oauth.decision': 'rejected',
        's2s_oauth.cache': 'miss',
        'error.type': 'key_source_unavailable',
        'http.response.status_code': 503,
      },
    ]);
  });
});

describe('openTelemetry(): outbound', () => {
  let partnerServer: Server;
  let url: string;
  let answers: number[];

  beforeAll(async () => {
    // A partner that refuses the first token of each pair (401 invalid_token) and accepts the next.
    partnerServer = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (/^Bearer\s*$/.test(auth)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="contoso.com", client_id="x"' }).end();
        return;
      }
      const status = answers.shift() ?? 200;
      res
        .writeHead(
          status,
          status === 401 ? { 'www-authenticate': 'Bearer realm="contoso.com", error="invalid_token"' } : {},
        )
        .end();
    });
    await new Promise<void>((resolve) => partnerServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(partnerServer.address() as { port: number }).port}`;
  });
  afterAll(() => partnerServer.close());

  it('counts mints, refreshes, retries and failures by partner and code; spans the token step under the caller', async () => {
    const clock = manualClock();
    const otel = telemetry();
    const config = await createTestService(
      {
        // No realm configured: the first call discovers it from the partner's challenge.
        partners: [{ name: 'crm', applicationId: 'crm-id', trustLevel: 'Full', baseUrls: [url] }],
      },
      { allowLoopbackHttp: true },
    );
    const s2s = createS2SAuth(config, { instrumentation: otel.instrumentation, clock });
    const call = s2s.fetch();
    const parent = otel.tracer.startSpan('GET /caller');
    answers = [401, 200];
    await context.with(trace.setSpan(context.active(), parent), async () => {
      expect((await call(`${url}/a`)).status).toBe(200); // minted, refused, retried, minted again
    });
    parent.end();
    clock.advance(290_000); // past refreshAt: served, and refreshed in the background
    expect((await call(`${url}/b`)).status).toBe(200);
    const refreshed = {
      's2s_oauth.partner': 'crm',
      's2s_oauth.token.source': 'self_issued',
      's2s_oauth.token.refresh': true,
    };
    await eventually(
      async () => countOf((await otel.metric('s2s_oauth.outbound.tokens')).points, refreshed).length > 0,
    );
    await expect(call('http://127.0.0.1:1/elsewhere')).rejects.toMatchObject({ code: 'no_partner_for_url' });

    const tokens = await otel.metric('s2s_oauth.outbound.tokens');
    expect(tokens.unit).toBe('{token}');
    const minted = { 's2s_oauth.partner': 'crm', 's2s_oauth.token.source': 'self_issued' };
    expect(countOf(tokens.points, { ...minted, 's2s_oauth.token.refresh': false })).toEqual([2]);
    expect(countOf(tokens.points, { ...minted, 's2s_oauth.token.refresh': true })).toEqual([1]);
    expect((await otel.metric('s2s_oauth.outbound.retries')).points).toEqual([
      { attributes: { 's2s_oauth.partner': 'crm' }, value: 1 },
    ]);
    expect((await otel.metric('s2s_oauth.outbound.failures')).points).toEqual([
      { attributes: { 'error.type': 'no_partner_for_url' }, value: 1 },
    ]);

    const spans = otel.spans();
    const underCaller = spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    expect(underCaller.map((s) => s.name).sort()).toEqual(['s2s_oauth.outbound.token', 's2s_oauth.outbound.token']);
    const first = underCaller.find((s) => spans.some((c) => c.parentSpanContext?.spanId === s.spanContext().spanId))!;
    const discovery = spans.find((s) => s.name === 's2s_oauth.realm_discovery')!;
    // Realm discovery ran inside the first token step, as its child.
    expect(discovery.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
    expect(discovery.attributes).toEqual({ 's2s_oauth.partner': 'crm', 'server.address': new URL(url).host });
    expect(first.attributes).toEqual({ 's2s_oauth.partner': 'crm', 's2s_oauth.call': 'app' });
    expect(await otel.everything()).not.toMatch(/eyJ|BEGIN/);
    await s2s.close();
  });

  it('spans a token request to an authorization server, with the metadata fetch inside it', async () => {
    const server = await new StaticAuthorizationServer().start();
    try {
      const otel = telemetry();
      const config = await createTestService(
        {
          authorizationServers: [{ name: 'entra', metadataUrl: server.metadataUrl }],
          partners: [
            {
              name: 'cloud',
              applicationId: 'c',
              realm: 'contoso.com',
              trustLevel: 'Full',
              baseUrls: [url],
              outbound: { kind: 'authorization-server', server: 'entra' },
            },
          ],
        },
        { allowLoopbackHttp: true },
      );
      const s2s = createS2SAuth(config, { instrumentation: otel.instrumentation });
      answers = [];
      expect((await s2s.fetch()(`${url}/c`)).status).toBe(200);
      const spans = otel.spans();
      const requestSpan = spans.find((s) => s.name === 's2s_oauth.token_request')!;
      expect(requestSpan.attributes).toEqual({
        's2s_oauth.partner': 'cloud',
        's2s_oauth.authorization_server': 'entra',
      });
      const metadata = spans.find((s) => s.name === 's2s_oauth.key_source.fetch')!;
      expect([metadata.attributes['s2s_oauth.document.kind'], metadata.parentSpanContext?.spanId]).toEqual([
        'authorization-server',
        requestSpan.spanContext().spanId,
      ]);
      const tokens = await otel.metric('s2s_oauth.outbound.tokens');
      expect(tokens.points.map((p) => p.attributes['s2s_oauth.token.source'])).toEqual(['authorization_server']);
      await s2s.close();
    } finally {
      await server.stop();
    }
  });
});

describe('openTelemetry() without an SDK', () => {
  it('records nothing and changes nothing: the global API is a no-op', async () => {
    // No meter to feed: no event sink and no timing on the request path.
    expect(openTelemetry()).toEqual({ span: expect.any(Function) });
    expect(openTelemetry({ traces: false })).toEqual({});
    const im = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec' });
    const config = await createTestService({ partners: [im.partnerConfig] }, { allowLoopbackHttp: true });
    const s2s: S2SAuth = createS2SAuth(config, { instrumentation: openTelemetry() });
    const app = express().get('/r', s2s.middleware(), (_req, res) => res.json(true));
    const server = await listen(app);
    const res = await fetch(`http://127.0.0.1:${portOf(server)}/r`, {
      headers: { authorization: await im.authorization({ audience: config }) },
    });
    expect(res.status).toBe(200);
    server.close();
    expect(trace.getTracerProvider().getTracer('x').startSpan('probe').isRecording()).toBe(false);
  });
});
