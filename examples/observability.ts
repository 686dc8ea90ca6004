// Metrics, spans and logs for a service, in one file you can run: the OpenTelemetry SDK with a
// Prometheus exporter served on the app's own /metrics, and console as the logger.
// (`npm test` compiles and runs this file, so it cannot rot.)
import type { AddressInfo } from 'node:net';
import express from 'express';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createS2SAuth } from 's2s-oauth';
import { openTelemetry } from 's2s-oauth/telemetry';
import { createTestPartner, createTestService } from 's2s-oauth/testing';

async function main(): Promise<void> {
  // --- the wiring (register the SDK before creating the service) --------------------------------
  const exporter = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full' }); // a partner, played by the test kit
  const config = await createTestService({ partners: [messaging.partnerConfig] });
  const s2s = createS2SAuth(config, { instrumentation: openTelemetry(), logger: console });
  const app = express();
  app.get('/metrics', (req, res) => exporter.getMetricsRequestHandler(req, res));
  app.get('/contacts', s2s.middleware(), (_req, res) => res.json([]));
  app.use(s2s.errorHandler());
  // ------------------------------------------------------------------------------------------------

  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await messaging.mint({ audience: config });
  await fetch(`${base}/contacts`, { headers: { authorization: `Bearer ${token}` } }); // accepted
  await fetch(`${base}/contacts`, { headers: { authorization: `Bearer ${token}` } }); // accepted (and now cached)
  await fetch(`${base}/contacts`, { headers: { authorization: `Bearer ${token}` } }); // accepted, from the cache
  await fetch(`${base}/contacts`, { headers: { authorization: 'Bearer nope' } }); // refused
  const scraped = await (await fetch(`${base}/metrics`)).text();
  console.log(
    scraped
      .split('\n')
      .filter((line) => line.startsWith('s2s_oauth_inbound_decisions_total'))
      .join('\n'),
  );
  server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
