// `npm run bench`: requests/s, p50/p99 and server CPU per request of one Express route, bare and
// behind each auth variant, in ONE run (shared/PERFORMANCE.md). Server and load generator run in
// separate processes pinned to separate cores; every variant runs in every round, in rotated
// order; ratios are taken within a round. `--quick` for a short smoke run.
const { execFileSync, spawn } = require('node:child_process');
const http = require('node:http');
const { mkdtempSync, mkdirSync, writeFileSync, existsSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { dirname, join } = require('node:path');
const { inboundChart } = require('./chart');
const { hasSoftHsm, prepareHsmService, mintCost } = require('./hsm');
const { createS2SAuth, createOAuthCertificate } = require('s2s-oauth');

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const WARMUP = quick ? 1 : 2;
const DURATION = quick ? 3 : 10;
const CONNECTIONS = 50;
// The cold case: a token never seen before on every request of a server's life (check, warm-up and
// measured window), so neither the verified-token cache nor its admission filter ever sees one twice.
const COLD_TOKENS = quick ? 60_000 : 170_000;
// Replay defence: the plain middleware with requireUniqueJti, a distinct ES256 token every request
// (cheap to mint in the numbers a run needs), on the in-memory store and on Redis (loopback, pinned
// to the load generator's core). Measured when redis-server is installed.
const hasRedis = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const UNIQUE = new Set(['unique-memory', 'unique-redis']);
// Enough that the measured window never wraps onto a token the warm-up used (~9k requests/s at most here).
const UNIQUE_TOKENS = quick ? 60_000 : 150_000;
/** Where the measured run starts in a list of distinct tokens: after every token the warm-up may have used. */
const MEASURE_OFFSET = quick ? 20_000 : 30_000;
const ALL_VARIANTS = [
  'bare',
  'passport-ceiling',
  'strategy',
  'middleware',
  'auth0',
  'raw-crypto',
  'middleware-cold',
  // Telemetry: the API without an SDK (must not move the figures), and the metrics SDK with a reader.
  'strategy-otel-api',
  'middleware-otel-api',
  'middleware-otel-sdk',
  ...(hasRedis ? ['unique-memory', 'unique-redis'] : []),
];
// `--only a,b` measures a subset (always with bare); `middleware-cold-nocache` is a diagnostic variant.
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const VARIANTS = only ? ['bare', ...only.filter((v) => v !== 'bare')] : ALL_VARIANTS;
// `--baseline=DIR`: also measure each s2s variant on the build in DIR (e.g. the previous commit,
// built into a git worktree), as `<variant>@baseline`, in the same rounds.
const baselineDir = process.argv.find((a) => a.startsWith('--baseline='))?.slice(11);
if (baselineDir)
  VARIANTS.push(
    ...VARIANTS.filter((v) => ['strategy', 'middleware', 'middleware-cold'].includes(v)).map((v) => `${v}@baseline`),
  );
const COLD = new Set(['raw-crypto', 'middleware-cold', 'middleware-cold-nocache', 'middleware-cold@baseline']);
const IDS = {
  contacts: '11111111-1111-4111-8111-111111111111',
  messaging: '22222222-2222-4222-8222-222222222222',
  unique: '55555555-5555-4555-8555-555555555555',
};
const pinned = existsSync('/usr/bin/taskset') && cpus().length >= 2;

function node(core, args) {
  return pinned ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

async function writeService(dir, name, extra, keyType = 'rsa') {
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({ realm: 'contoso.com', name, keyType });
  writeFileSync(join(dir, `${name}-cert.pem`), certificatePem);
  writeFileSync(join(dir, `${name}-key.pem`), privateKeyPem, { mode: 0o600 });
  const config = {
    serviceName: IDS[name],
    realm: 'contoso.com',
    hostnames: ['127.0.0.1'],
    signing: { certificate: `${name}-cert.pem`, privateKey: `${name}-key.pem` },
    ...extra,
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(config));
  return join(dir, `${name}.json`);
}

async function prepare() {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-'));
  const messagingConfig = await writeService(dir, 'messaging', { outbound: { allowInsecureHosts: ['127.0.0.1'] } });
  const contactsConfig = await writeService(dir, 'contacts', {
    partners: [
      {
        name: 'messaging',
        applicationId: IDS.messaging,
        realm: 'contoso.com',
        trustLevel: 'Full',
        keySource: { kind: 'certificate', certificates: ['messaging-cert.pem'] },
      },
      {
        name: 'unique',
        applicationId: IDS.unique,
        realm: 'contoso.com',
        trustLevel: 'Full',
        requireUniqueJti: true,
        keySource: { kind: 'certificate', certificates: ['unique-cert.pem'] },
      },
    ],
  });
  const uniqueConfig = await writeService(dir, 'unique', {}, 'ec');
  const { loadConfig } = require('s2s-oauth');
  const messaging = createS2SAuth(loadConfig(messagingConfig));
  const audience = { principalId: IDS.contacts, host: '127.0.0.1', realm: 'contoso.com' };
  const mint = () => messaging.issuer.mint({ audience, lifetimeSeconds: 3600 }).then((m) => m.token);
  const token = await mint();
  process.stdout.write(`minting ${COLD_TOKENS} distinct tokens for the cold case... `);
  const cold = [];
  for (let i = 0; i < COLD_TOKENS; i += 500)
    cold.push(...(await Promise.all(Array.from({ length: Math.min(500, COLD_TOKENS - i) }, mint))));
  const coldCheck = await mint();
  console.log('done');
  const tokensFile = join(dir, 'cold-tokens.json');
  writeFileSync(tokensFile, JSON.stringify(cold));
  // The replay-defence tokens are minted for each measurement once its server is up: a replay
  // store refuses tokens issued before its memory began (replay_unverifiable), as after a restart.
  let mintUniqueTokens;
  if (VARIANTS.some((v) => UNIQUE.has(v))) {
    const unique = createS2SAuth(loadConfig(uniqueConfig));
    const mintUnique = () => unique.issuer.mint({ audience, lifetimeSeconds: 3600 }).then((m) => m.token);
    mintUniqueTokens = async () => {
      const tokens = [];
      for (let i = 0; i < UNIQUE_TOKENS; i += 1000)
        tokens.push(...(await Promise.all(Array.from({ length: 1000 }, mintUnique))));
      const file = join(dir, 'unique-tokens.json');
      writeFileSync(file, JSON.stringify(tokens));
      return { file, check: await mintUnique() };
    };
  }
  const messagingHsmConfig = hasSoftHsm ? await prepareHsmService(dir, IDS.messaging) : undefined;
  const setupFile = join(dir, 'setup.json');
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  writeFileSync(
    setupFile,
    JSON.stringify({
      contactsConfig,
      messagingConfig,
      messagingHsmConfig,
      contactsId: IDS.contacts,
      outboundToken: token,
      partnerCertificate: join(dir, 'messaging-cert.pem'),
      partnerJwks: messaging.jwks(),
      audience: claims.aud,
      issuer: claims.iss,
    }),
  );
  return {
    token,
    coldCheck,
    tokensFile,
    setupFile,
    mintUniqueTokens,
    messagingConfig,
    messagingHsmConfig,
    audience,
  };
}

let benchRedisUrl;

/** redis-server on loopback for the replay-defence variant, pinned to the load generator's core. */
async function startBenchRedis() {
  const port = await new Promise((resolve) => {
    const probe = require('node:net').createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
  const [cmd, args] = pinned ? ['taskset', ['-c', '1', 'redis-server']] : ['redis-server', []];
  const child = spawn(
    cmd,
    [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  benchRedisUrl = `redis://127.0.0.1:${port}`;
  return child;
}

function startServer(variant, setupFile) {
  const [cmd, args] = node(0, [join(__dirname, 'server.js'), variant, setupFile]);
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ...(baselineDir && { S2S_BASELINE: require('node:path').resolve(baselineDir) }),
      ...(benchRedisUrl && { S2S_BENCH_REDIS: benchRedisUrl }),
    },
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (data) => resolve({ child, port: JSON.parse(data.toString()).port }));
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

function load(url, token, tokensFile, duration, offset = 0) {
  const [cmd, args] = node(1, [
    join(__dirname, 'load.js'),
    JSON.stringify({ url, token, tokensFile, duration, offset, connections: CONNECTIONS }),
  ]);
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n').pop());
}

/** A control request on a fresh connection (a pooled keep-alive socket may be closed by then). */
function get(port, path, authorization) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, headers: authorization ? { authorization } : {} },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('error', reject);
  });
}
const stats = (port) => get(port, '/__stats').then((r) => JSON.parse(r.body));
const flip = (token) => {
  const [h, p, s] = token.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[0] ^= 1;
  return `${h}.${p}.${bytes.toString('base64url')}`;
};

/** A variant that answers wrongly is not measured: 200 with the token, 401 without, 401 with a flipped signature bit. */
async function check(variant, port, token) {
  const status = async (auth) => (await get(port, '/r', auth)).status;
  const got = [await status(`Bearer ${token}`), await status(undefined), await status(`Bearer ${flip(token)}`)];
  const want =
    variant === 'bare' ? [200, 200, 200] : variant === 'passport-ceiling' ? [200, 401, 200] : [200, 401, 401];
  if (got.join() !== want.join())
    throw new Error(`${variant} answered ${got.join('/')} instead of ${want.join('/')}: not measured`);
}

async function measure(variant, prepared) {
  const { child, port } = await startServer(variant, prepared.setupFile);
  try {
    const unique = UNIQUE.has(variant) ? await prepared.mintUniqueTokens() : undefined;
    const cold = COLD.has(variant);
    // Distinct-token variants are checked with a token of their own, outside the list they are loaded with.
    const token = unique ? unique.check : cold ? prepared.coldCheck : prepared.token;
    await check(variant, port, token);
    const url = `http://127.0.0.1:${port}/r`;
    const tokensFile = unique ? unique.file : cold ? prepared.tokensFile : undefined;
    const warmup = load(url, token, tokensFile, WARMUP);
    const offset = tokensFile ? MEASURE_OFFSET : 0;
    const before = await stats(port);
    const result = load(url, token, tokensFile, DURATION, offset);
    const after = await stats(port);
    const cpuMicros = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${variant}: ${result.non2xx} non-2xx and ${result.errors} errors under load`);
    if (tokensFile && (warmup.sent > offset || offset + result.sent > result.tokens))
      throw new Error(
        `${variant}: the distinct tokens ran out (warm-up ${warmup.sent}, measured ${result.sent} from ${offset} of ${result.tokens}): not measured`,
      );
    return { ...result, cpuPerRequest: cpuMicros / (after.requests - before.requests) };
  } finally {
    child.kill();
  }
}

const OUTBOUND_VARIANTS = ['plain', 'static-header', 'partner-fetch', ...(hasSoftHsm ? ['partner-fetch-hsm'] : [])];
const FETCH_LOOPS = 50;

/** One outbound variant: the echo server on core 0, the fetch client (measured) on core 1. */
async function measureOutbound(variant, prepared) {
  const { child, port } = await startServer('echo', prepared.setupFile);
  try {
    const [cmd, args] = node(1, [
      join(__dirname, 'fetch-client.js'),
      JSON.stringify({
        variant,
        setupFile: prepared.setupFile,
        origin: `http://127.0.0.1:${port}`,
        loops: FETCH_LOOPS,
        warmup: WARMUP,
        duration: DURATION,
      }),
    ]);
    return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n').pop());
  } finally {
    child.kill();
  }
}

const STARTUP_RUNS = 10;
const STARTUP_VARIANTS = [
  ['express alone', '-'],
  ['s2s-oauth', 's2s-oauth'],
  ['s2s-oauth + parseConfig', 's2s-oauth+config'],
  ['express-oauth2-jwt-bearer', 'express-oauth2-jwt-bearer'],
];

/** `require` cost with Express already loaded: median of 10 fresh processes each, in rotated order. */
function measureStartup() {
  const runs = Object.fromEntries(STARTUP_VARIANTS.map(([name]) => [name, []]));
  for (let r = 0; r < STARTUP_RUNS; r++) {
    for (const [name, target] of STARTUP_VARIANTS.map((_, i) => STARTUP_VARIANTS[(i + r) % STARTUP_VARIANTS.length])) {
      const [cmd, args] = node(0, [join(__dirname, 'startup.js'), target]);
      runs[name].push(
        JSON.parse(
          execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } }).trim(),
        ),
      );
    }
  }
  return runs;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, digits = 2) => x.toFixed(digits);

/** Runs `measure` for every variant in every round, in rotated order, printing each result. */
async function rounds(label, variants, measureOne) {
  const all = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const variant of variants.map((_, i) => variants[(i + r) % variants.length])) {
      round[variant] = await measureOne(variant);
      const m = round[variant];
      console.log(
        `round ${r + 1}  ${label}${variant.padEnd(17)} ${fmt(m.rps, 0).padStart(7)} req/s${m.p50 !== undefined ? `  p50 ${m.p50} ms  p99 ${m.p99} ms` : ''}  ${fmt(m.cpuPerRequest, 1)} µs CPU/req`,
      );
    }
    all.push(round);
  }
  return all;
}

const ratios = (all, a, b) => all.map((round) => round[a].rps / round[b].rps);
const summary = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;
const medianOf = (all, variant, key) => median(all.map((round) => round[variant][key]));

let startupTargets;

function printTargets(targets) {
  console.log('\n| ratio | median (min-max) | target | met |');
  console.log('|---|---:|---:|:---:|');
  for (const [name, xs, target] of targets) {
    console.log(
      `| ${name} | ${summary(xs)} | ${target === undefined ? '-' : `>= ${target}`} | ${target === undefined ? '-' : median(xs) >= target ? 'yes' : 'NO'} |`,
    );
  }
  if (startupTargets) {
    console.log(
      `| start-up vs express-oauth2-jwt-bearer | ${fmt(startupTargets.ratio)} | <= 1.5 | ${startupTargets.ratio <= 1.5 ? 'yes' : 'NO'} |`,
    );
    console.log(
      `| start-up RSS over Express alone (MB) | ${fmt(startupTargets.rss, 1)} | <= 8 | ${startupTargets.rss <= 8 ? 'yes' : 'NO'} |`,
    );
  }
}

(async () => {
  const startupOnly = process.argv.includes('--startup-only');
  const inbound = !process.argv.includes('--outbound-only') && !startupOnly;
  const outbound = !process.argv.includes('--inbound-only') && !only && !startupOnly;
  const startup =
    (!only && !process.argv.includes('--inbound-only') && !process.argv.includes('--outbound-only')) || startupOnly;
  console.log(
    `s2s-oauth benchmark: ${ROUNDS} round(s), ${WARMUP}s warm-up + ${DURATION}s, ${pinned ? 'server on core 0, load on core 1' : 'NOT pinned (no taskset)'}`,
  );
  console.log(`node ${process.version}, ${cpus()[0].model}, ${new Date().toISOString().slice(0, 10)}`);
  const targets = [];
  if (startup) {
    const runs = measureStartup();
    const m = (name, key) => median(runs[name].map((x) => x[key]));
    console.log(
      `\n| start-up (Express loaded first, median of ${STARTUP_RUNS} processes) | require ms | RSS added MB |`,
    );
    console.log('|---|---:|---:|');
    for (const [name] of STARTUP_VARIANTS)
      console.log(`| ${name} | ${fmt(m(name, 'requireMs'), 1)} | ${fmt(m(name, 'rssDeltaMb'), 1)} |`);
    const ours = m('s2s-oauth', 'requireMs');
    const auth0 = m('express-oauth2-jwt-bearer', 'requireMs');
    startupTargets = { ratio: ours / auth0, rss: m('s2s-oauth', 'rssDeltaMb') };
  }
  if (!inbound && !outbound) return printTargets(targets);
  const prepared = await prepare();

  const benchRedis = inbound && VARIANTS.some((v) => UNIQUE.has(v)) ? await startBenchRedis() : undefined;
  if (inbound) {
    const all = await rounds('', VARIANTS, (v) => measure(v, prepared));
    console.log(
      `\n| inbound (${CONNECTIONS} connections, one route) | req/s (median) | p50 / p99 ms | server CPU µs/req | vs bare (median, min-max) |`,
    );
    console.log('|---|---:|---:|---:|---:|');
    for (const v of VARIANTS) {
      console.log(
        `| ${v} | ${fmt(medianOf(all, v, 'rps'), 0)} | ${medianOf(all, v, 'p50')} / ${medianOf(all, v, 'p99')} | ${fmt(medianOf(all, v, 'cpuPerRequest'), 1)} | ${summary(ratios(all, v, 'bare'))} |`,
      );
    }
    const medians = Object.fromEntries(
      VARIANTS.filter((v) => !v.endsWith('@baseline')).map((v) => [v, median(ratios(all, v, 'bare'))]),
    );
    if (!only && !quick) {
      const file = join(__dirname, '..', 'docs', 'benchmark.svg');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(
        file,
        inboundChart(
          medians,
          `Inbound requests/s vs a bare Express route (${new Date().toISOString().slice(0, 10)}, ${cpus()[0].model.trim()})`,
        ),
      );
      console.log(`\nwrote ${file}`);
    }
    const pairs = [
      ['strategy vs bare', 'strategy', 'bare', 0.65],
      ['strategy vs express-oauth2-jwt-bearer', 'strategy', 'auth0', 1.1],
      ['middleware vs bare', 'middleware', 'bare', 0.88],
      ['middleware vs express-oauth2-jwt-bearer', 'middleware', 'auth0', 1.4],
      ['strategy vs the Passport ceiling', 'strategy', 'passport-ceiling', 0.95],
      ['cold (distinct tokens) vs raw node:crypto verify', 'middleware-cold', 'raw-crypto', 0.9],
      ['replay defence on Redis vs in-memory (requireUniqueJti)', 'unique-redis', 'unique-memory', 0.75],
      ['middleware, metrics SDK with a reader, vs bare', 'middleware-otel-sdk', 'bare', 0.85],
      // "Unchanged within noise": openTelemetry() without an SDK against no instrumentation.
      ['middleware, telemetry API without SDK, vs middleware', 'middleware-otel-api', 'middleware', undefined],
      ['strategy, telemetry API without SDK, vs strategy', 'strategy-otel-api', 'strategy', undefined],
    ];
    if (baselineDir) {
      for (const v of ['strategy', 'middleware', 'middleware-cold'])
        pairs.push([`${v}: this build vs the baseline build`, v, `${v}@baseline`, undefined]);
    }
    for (const [name, a, b, target] of pairs)
      if (VARIANTS.includes(a) && VARIANTS.includes(b)) targets.push([name, ratios(all, a, b), target]);
  }

  benchRedis?.kill();
  if (outbound) {
    const all = await rounds('outbound ', OUTBOUND_VARIANTS, (v) => measureOutbound(v, prepared));
    console.log(
      `\n| outbound (${FETCH_LOOPS} concurrent fetch loops) | req/s (median) | client CPU µs/req | vs plain fetch (median, min-max) |`,
    );
    console.log('|---|---:|---:|---:|');
    for (const v of OUTBOUND_VARIANTS)
      console.log(
        `| ${v} | ${fmt(medianOf(all, v, 'rps'), 0)} | ${fmt(medianOf(all, v, 'cpuPerRequest'), 1)} | ${summary(ratios(all, v, 'plain'))} |`,
      );
    targets.push(['partner fetch (cached token) vs plain fetch', ratios(all, 'partner-fetch', 'plain'), 0.93]);
    if (hasSoftHsm) {
      targets.push([
        'partner fetch, key in SoftHSM2 (cached token) vs plain fetch',
        ratios(all, 'partner-fetch-hsm', 'plain'),
        0.93,
      ]);
      const cost = await mintCost(prepared.messagingConfig, prepared.messagingHsmConfig, prepared.audience);
      console.log('\n| one mint (RS256, 300 tokens) | ms one after another | ms each, 300 at once |');
      console.log('|---|---:|---:|');
      for (const [name, c] of Object.entries(cost))
        console.log(`| key ${name} | ${fmt(c.sequential, 2)} | ${fmt(c.concurrent, 2)} |`);
    }
    targets.push([
      "partner fetch vs a constant Authorization header (the wrapper's own cost)",
      ratios(all, 'partner-fetch', 'static-header'),
      undefined,
    ]);
  }

  console.log('\n| ratio | median (min-max) | target | met |');
  console.log('|---|---:|---:|:---:|');
  for (const [name, xs, target] of targets) {
    console.log(
      `| ${name} | ${summary(xs)} | ${target === undefined ? '-' : `>= ${target}`} | ${target === undefined ? '-' : median(xs) >= target ? 'yes' : 'NO'} |`,
    );
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
