// The load generator: `node bench/load.js <json>`; runs autocannon once and prints a JSON summary.
// With a tokens file, each request takes the next token, so none is reused within the window.
const { readFileSync } = require('node:fs');
const autocannon = require('autocannon');

const options = JSON.parse(process.argv[2]);
const tokens = options.tokensFile ? JSON.parse(readFileSync(options.tokensFile, 'utf8')) : [options.token];
let next = options.offset ?? 0;

autocannon(
  {
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        setupRequest: (request) => {
          request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
          return request;
        },
      },
    ],
  },
  (error, result) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    process.stdout.write(
      JSON.stringify({
        rps: result.requests.average,
        total: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        // Requests built, and tokens to build them from: more requests than tokens reuses tokens.
        sent: next - (options.offset ?? 0),
        tokens: tokens.length,
      }) + '\n',
    );
  },
);
