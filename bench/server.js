// One benchmark server: `node bench/server.js <variant> <setup.json>`. Prints {"port":N} when
// listening. GET /__stats reports this process's CPU time and request count, unauthenticated.
process.env.NODE_ENV = 'production';
const { readFileSync } = require('node:fs');
const { createPublicKey, verify } = require('node:crypto');
const express = require('express');
const passport = require('passport');
const { Strategy: BearerStrategy } = require('passport-http-bearer');
// `<variant>@baseline` runs the same variant on another build of the library (`--baseline=DIR`
// of run.js, handed over as S2S_BASELINE), so an old and a new build are measured in one run.
const [requested, setupPath] = process.argv.slice(2);
const baseline = requested.endsWith('@baseline');
const variant = baseline ? requested.slice(0, -'@baseline'.length) : requested;
const { createS2SAuth, loadConfig } = require(baseline ? process.env.S2S_BASELINE : 's2s-oauth');
const setup = JSON.parse(readFileSync(setupPath, 'utf8'));
const app = express();
let requests = 0;
app.get('/__stats', (_req, res) => res.json({ cpu: process.cpuUsage(), requests }));
app.use((_req, _res, next) => {
  requests++;
  next();
});
const ok = (_req, res) => res.json({ ok: true });

/**
 * `-otel-api`: openTelemetry() with the API installed and no SDK (the global no-op providers);
 * `-otel-sdk`: the real metrics SDK with a reader exporting every 10 s to memory, as a service
 * with a Prometheus or OTLP exporter runs.
 */
function otelInstrumentation(variant) {
  const { openTelemetry } = require(baseline ? `${process.env.S2S_BASELINE}/dist/telemetry` : 's2s-oauth/telemetry');
  if (variant.endsWith('-api')) return openTelemetry();
  const {
    MeterProvider,
    PeriodicExportingMetricReader,
    InMemoryMetricExporter,
    AggregationTemporality,
  } = require('@opentelemetry/sdk-metrics');
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 10_000,
  });
  return openTelemetry({ meterProvider: new MeterProvider({ readers: [reader] }) });
}

async function mount() {
  switch (variant) {
    case 'bare':
      return app.get('/r', ok);
    case 'echo':
      // The outbound benchmark's partner: answers without verifying, so the client's cost is measured.
      app.get('/auth', (req, res) => res.json({ authorization: Boolean(req.headers.authorization) }));
      return app.get('/echo', ok);
    case 'passport-ceiling': {
      // Passport + passport-http-bearer accepting anything: the ceiling of any Passport strategy.
      passport.use('anything', new BearerStrategy((token, done) => done(null, { token: true })));
      return app.get('/r', passport.authenticate('anything', { session: false }), ok);
    }
    case 'strategy':
    case 'strategy-otel-api':
    case 'middleware':
    case 'middleware-otel-api':
    case 'middleware-otel-sdk':
    case 'middleware-cold':
    case 'middleware-cold-nocache': {
      const config = loadConfig(setup.contactsConfig);
      if (variant === 'middleware-cold-nocache') config.verifiedTokenCache.maxEntries = 0;
      const s2s = createS2SAuth(
        config,
        variant.includes('-otel-') ? { instrumentation: otelInstrumentation(variant) } : {},
      );
      if (variant.startsWith('strategy')) {
        passport.use(s2s.strategy());
        return app.get('/r', passport.authenticate('s2s', { session: false }), ok);
      }
      return app.get('/r', s2s.middleware(), ok);
    }
    case 'raw-crypto': {
      // The floor of an uncached verification: one node:crypto RS256 verify per request, no checks.
      const key = createPublicKey(readFileSync(setup.partnerCertificate));
      return app.get(
        '/r',
        (req, res, next) => {
          const token = (req.headers.authorization || '').slice(7);
          const dot = token.lastIndexOf('.');
          const valid =
            dot > 0 &&
            verify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'));
          return valid ? next() : res.status(401).end();
        },
        ok,
      );
    }
    case 'unique-memory':
    case 'unique-redis': {
      // The plain middleware for a partner with requireUniqueJti: every token id is recorded.
      let replayStore;
      if (variant === 'unique-redis') {
        const { createClient } = require('redis');
        const { RedisReplayStore } = require(baseline ? `${process.env.S2S_BASELINE}/dist/redis` : 's2s-oauth/redis');
        const client = createClient({ url: process.env.S2S_BENCH_REDIS, disableOfflineQueue: true });
        await client.connect();
        replayStore = new RedisReplayStore({ client, namespace: `bench:${process.pid}` });
      }
      const s2s = createS2SAuth(loadConfig(setup.contactsConfig), replayStore ? { replayStore } : {});
      return app.get('/r', s2s.middleware(), ok);
    }
    case 'auth0': {
      const { auth } = require('express-oauth2-jwt-bearer');
      const jwksApp = express().get('/jwks', (_req, res) => res.json(setup.partnerJwks));
      const jwksServer = await new Promise((resolve) => {
        const s = jwksApp.listen(0, '127.0.0.1', () => resolve(s));
      });
      app.get(
        '/r',
        auth({
          jwksUri: `http://127.0.0.1:${jwksServer.address().port}/jwks`,
          audience: setup.audience,
          issuer: setup.issuer,
          tokenSigningAlg: 'RS256',
        }),
        ok,
      );
      // Its own error handler shape: status from the error.
      return app.use((err, _req, res, _next) => res.status(err.status || 500).end());
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

process.on('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile

mount().then(() => {
  app.use((err, _req, res, _next) =>
    res
      .status(err.status || 500)
      .set(err.headers || {})
      .end(),
  );
  const server = app.listen(0, '127.0.0.1', () =>
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'),
  );
});
