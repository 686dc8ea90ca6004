// One start-up measurement: `node bench/startup.js <module|-|s2s-oauth+config>`. Loads Express first (as an app
// does), then the module, and prints how long the module's `require` took and how much resident
// memory it added, as JSON. `-` loads nothing after Express (the floor).
const { performance } = require('node:perf_hooks');
const target = process.argv[2];
require('express');
const expressDone = performance.now();
const rssBefore = process.memoryUsage.rss();
if (target === 's2s-oauth+config') {
  // What a service pays by the time its configuration is validated (the schema is built lazily).
  require('s2s-oauth').parseConfig({
    serviceName: 'x',
    realm: 'contoso.com',
    hostnames: ['x.contoso.com'],
    signing: { certificate: 'c.pem', privateKey: 'k.pem' },
  });
} else if (target !== '-') require(target);
const done = performance.now();
console.log(
  JSON.stringify({
    requireMs: done - expressDone,
    totalMs: done,
    rssDeltaMb: (process.memoryUsage.rss() - rssBefore) / 1024 / 1024,
  }),
);
