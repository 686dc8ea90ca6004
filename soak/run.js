#!/usr/bin/env node
// The soak under faults (`npm run soak`; `-- --duration 60` for the short run `npm test` makes).
// Three real instances (soak/instance.js) share a real redis-server; real partner services in
// this process call them (fresh tokens with unique ids, reused tokens, tokens of a partner whose
// keys come from its metadata server) while the script restarts Redis empty, restarts an
// instance, rotates a partner's keys, rotates the instances' signing certificate through
// `signing.next`, edits the configuration file by a Kubernetes-style `..data` symlink flip (adds,
// changes and removes a partner), disables and enables a partner at run time, and makes a key
// source hang. Then it prints what it checked as a table and exits 1 when a check failed.
// Loopback only; every loop is bounded by the duration and by MAX_REQUESTS.
const { spawn } = require('node:child_process');
const {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');
const { createOAuthCertificate, createS2SAuth } = require('s2s-oauth');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const DURATION_MS = Number(flag('duration', '300')) * 1000;
const JSON_OUTPUT = args.includes('--json');
const WORKERS = 6;
const MAX_REQUESTS = 2_000_000;
/** Bounds the run holds the instances to (see the README). */
const BOUNDS = { rssGrowthMb: 64, fdGrowth: 16, timeoutSlackMs: 750 };
/** The timeout behind each documented 503, from the configuration below. */
const TIMEOUTS = { replay_store_unavailable: 500, key_source_unavailable: 1000, partner_state_unavailable: 2000 };

const REALM = 'contoso.com';
const IDS = {
  contacts: '00000002-0000-0ff1-ce00-000000000000',
  messaging: '00000004-0000-0ff1-ce00-000000000000',
  scheduler: '00000005-0000-0ff1-ce00-000000000000',
  archiver: '00000006-0000-0ff1-ce00-000000000000',
  reporter: '00000007-0000-0ff1-ce00-000000000000',
  callee: '00000008-0000-0ff1-ce00-000000000000',
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) =>
  JSON_OUTPUT || process.stderr.write(`[soak ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
let startedAt = Date.now();

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A child process that prints `ready` on stdout when it is up. */
function startChild(command, argv, ready) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${output.slice(0, 500)}`)), 15_000);
    const onData = (d) => {
      output += d;
      if (ready(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output.slice(0, 1000)}`)));
  });
}
const stopChild = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** Redis without persistence: a restart comes back empty. */
async function startRedis(port) {
  const child = await startChild(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    (out) => out.includes('Ready to accept connections'),
  );
  return child;
}

/** A folder laid out as kubelet lays out a ConfigMap volume: `s2s.json` -> `..data/s2s.json`, `..data` -> `..gen-N`. */
class ConfigVolume {
  constructor(dir) {
    this.dir = dir;
    this.generation = 0;
    this.file = join(dir, 's2s.json');
  }
  write(config) {
    const folder = `..gen-${++this.generation}`;
    mkdirSync(join(this.dir, folder));
    writeFileSync(join(this.dir, folder, 's2s.json'), JSON.stringify(config, null, 2));
    if (this.generation === 1) {
      symlinkSync(folder, join(this.dir, '..data'));
      symlinkSync(join('..data', 's2s.json'), this.file);
      return;
    }
    symlinkSync(folder, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    rmSync(join(this.dir, `..gen-${this.generation - 1}`), { recursive: true });
  }
}

/** A partner service in this process: its own certificate, and its metadata on a loopback server that can hang. */
async function partnerService(name) {
  const cert = await createOAuthCertificate({ realm: REALM, name });
  const config = {
    serviceName: IDS[name],
    realm: REALM,
    hostnames: [`${name}.contoso.com`, '127.0.0.1'],
    signing: { certificate: { pem: cert.certificatePem }, privateKey: { pem: cert.privateKeyPem } },
    keySources: { allowInsecureHosts: ['127.0.0.1'], refreshCooldownSeconds: 1 },
    outbound: { allowInsecureHosts: ['127.0.0.1'] },
  };
  const service = { name, config, cert, s2s: createS2SAuth(config), hang: false, held: [] };
  const app = express();
  app.use((req, res, next) => (service.hang ? service.held.push(res) : next()));
  app.use((req, res, next) => service.s2s.metadataRouter({ maxAgeSeconds: 2 })(req, res, next));
  service.app = app;
  service.server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => service.server.once('listening', resolve));
  service.metadataUrl = `http://127.0.0.1:${service.server.address().port}/metadata/json/1`;
  return service;
}

/** Rotates a partner's signing key through `signing.next`, effective `leadMs` from now. */
async function rotatePartner(service, leadMs) {
  const next = await createOAuthCertificate({ realm: REALM, name: service.name });
  const signing = {
    ...service.config.signing,
    next: {
      certificate: { pem: next.certificatePem },
      privateKey: { pem: next.privateKeyPem },
      effectiveAt: new Date(Date.now() + leadMs).toISOString(),
    },
  };
  service.s2s.reload({ ...service.config, signing });
  return next;
}

/** The instances' configuration: what the script edits. */
function contactsConfig(state) {
  const partner = (name, extra) => ({
    name,
    applicationId: IDS[name],
    realm: REALM,
    trustLevel: 'Full',
    ...extra,
  });
  const partners = [
    partner('messaging', {
      requireUniqueJti: true,
      keySource: { kind: 'certificate', certificates: [{ pem: state.messaging.cert.certificatePem }] },
    }),
    partner('scheduler', { keySource: { kind: 'metadata', url: state.scheduler.metadataUrl } }),
    partner('archiver', { keySource: { kind: 'metadata', url: state.archiver.metadataUrl } }),
  ];
  if (state.reporter)
    partners.push(
      partner('reporter', {
        trustLevel: state.reporter,
        keySource: { kind: 'certificate', certificates: [{ pem: state.reporterService.cert.certificatePem }] },
      }),
    );
  partners.push(
    partner('callee', {
      keySource: { kind: 'certificate', certificates: [{ pem: state.callee.cert.certificatePem }] },
      baseUrls: [state.calleeBase],
    }),
  );
  return {
    serviceName: IDS.contacts,
    realm: REALM,
    hostnames: ['127.0.0.1'],
    signing: state.signing,
    partners,
    replayCache: { timeoutMs: TIMEOUTS.replay_store_unavailable },
    keySources: {
      allowInsecureHosts: ['127.0.0.1'],
      timeoutMs: TIMEOUTS.key_source_unavailable,
      refreshCooldownSeconds: 1,
    },
    outbound: { allowInsecureHosts: ['127.0.0.1'] },
  };
}

/** RSS (MB) and open file descriptors of a process, from /proc. */
function footprint(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: rssKb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

async function main() {
  startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 's2s-soak-'));
  const namespace = 'soak';
  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;

  // The partners that call the fleet, and the one the fleet calls (it trusts the fleet by metadata).
  const messaging = await partnerService('messaging');
  const scheduler = await partnerService('scheduler');
  const archiver = await partnerService('archiver');
  const reporterService = await partnerService('reporter');
  const callee = await partnerService('callee');
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const calleeBase = `http://127.0.0.1:${callee.server.address().port}`;
  callee.s2s.partners.add({
    name: 'contacts',
    applicationId: IDS.contacts,
    realm: REALM,
    trustLevel: 'Full',
    keySource: { kind: 'metadata', url: `http://127.0.0.1:${ports[1]}/metadata/json/1` },
  });
  callee.app.get('/hello', callee.s2s.middleware(), (_req, res) => res.json({ ok: true }));
  callee.app.use(callee.s2s.errorHandler());

  const ours = await createOAuthCertificate({ realm: REALM, name: 'contacts' });
  const state = {
    messaging,
    scheduler,
    archiver,
    reporterService,
    reporter: undefined,
    callee,
    calleeBase: `${calleeBase}/hello`,
    signing: { certificate: { pem: ours.certificatePem }, privateKey: { pem: ours.privateKeyPem } },
  };
  // The callee entry is how the fleet calls out; its tokens are never sent in.
  const volume = new ConfigVolume(dir);
  volume.write(contactsConfig(state));
  const edit = (change) => {
    Object.assign(state, change);
    volume.write(contactsConfig(state));
  };

  const instances = [];
  const startInstance = async (i) => {
    const child = await startChild(
      process.execPath,
      [
        join(__dirname, 'instance.js'),
        JSON.stringify({
          redisUrl,
          configFile: volume.file,
          watchConfigFile: true,
          replay: 'redis',
          namespace,
          port: ports[i],
          calleeUrl: state.calleeBase,
        }),
      ],
      (out) => out.includes('"port"'),
    );
    instances[i] = { child, base: `http://127.0.0.1:${ports[i]}`, up: true, startedAt: Date.now() };
  };
  for (let i = 0; i < 3; i++) await startInstance(i);
  log('3 instances up');

  // --- what the load records ---------------------------------------------------------------
  const results = [];
  const acceptedTimes = new Map(); // fresh unique token -> times accepted
  /** Windows in which a partner is off everywhere (from when it is in force on every instance). */
  const offWindows = [];
  const faults = [];
  const liveInstances = () => instances.filter((i) => i && i.up);
  const pick = (list) => list[Math.floor(Math.random() * list.length)];

  async function send(instance, token, partner, kind) {
    const started = Date.now();
    let status;
    let code;
    try {
      const res = await fetch(`${instance.base}/whoami`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      code = (await res.json().catch(() => ({}))).code;
    } catch {
      status = 0; // connection refused (an instance restarting): not an answer
    }
    const result = { partner, kind, started, ms: Date.now() - started, status, code };
    results.push(result);
    return result;
  }
  const mint = async (service) =>
    (await service.s2s.issuer.mint({ audience: { principalId: IDS.contacts, host: '127.0.0.1', realm: REALM } })).token;
  const reused = new Map();
  async function reusedToken(service) {
    const entry = reused.get(service.name);
    if (entry && entry.until > Date.now()) return entry.token;
    const token = await mint(service);
    reused.set(service.name, { token, until: Date.now() + 30_000 });
    return token;
  }

  let requests = 0;
  const deadline = startedAt + DURATION_MS;
  async function worker(n) {
    while (Date.now() < deadline && requests < MAX_REQUESTS) {
      requests++;
      const live = liveInstances();
      if (live.length === 0) {
        await sleep(50);
        continue;
      }
      const step = (requests + n) % 6;
      if (step === 0 || step === 1) {
        // A fresh token with a unique id, and (every other time) the same token replayed to another instance.
        const token = await mint(messaging);
        const targets = step === 0 ? [pick(live), pick(live)] : [pick(live)];
        const answers = await Promise.all(targets.map((i) => send(i, token, 'messaging', 'fresh')));
        acceptedTimes.set(token, answers.filter((a) => a.status === 200).length);
      } else if (step === 2) {
        await send(pick(live), await reusedToken(scheduler), 'scheduler', 'reused');
      } else if (step === 3) {
        await send(pick(live), await reusedToken(archiver), 'archiver', 'reused');
      } else if (step === 4 && state.reporter) {
        await send(pick(live), await reusedToken(reporterService), 'reporter', 'reused');
      } else {
        const instance = pick(live);
        const started = Date.now();
        const answer = await fetch(`${instance.base}/call-out`, { signal: AbortSignal.timeout(10_000) })
          .then((r) => r.json())
          .catch(() => ({ status: 0 }));
        results.push({ partner: 'callee', kind: 'call-out', started, ms: Date.now() - started, ...answer });
      }
    }
  }

  /** Polls until every live instance refuses `partner`'s fresh tokens with one of `codes`; returns when. */
  async function inForceEverywhere(service, codes) {
    const limit = Date.now() + 10_000;
    for (;;) {
      const token = await mint(service);
      const answers = await Promise.all(liveInstances().map((i) => send(i, token, `${service.name}-probe`, 'probe')));
      if (answers.every((a) => codes.includes(a.code))) return Date.now();
      if (Date.now() > limit) throw new Error(`${service.name}: not refused everywhere within 10 s`);
      await sleep(50);
    }
  }
  const at = (fraction) => sleep(Math.max(0, startedAt + DURATION_MS * fraction - Date.now()));
  const fault = async (name, action) => {
    const t = Date.now();
    await action();
    faults.push({ name, atSeconds: Math.round((t - startedAt) / 1000), tookMs: Date.now() - t });
    log(name);
  };

  // --- the faults --------------------------------------------------------------------------
  async function script() {
    await at(0.06);
    await fault('disable scheduler at run time, then enable it', async () => {
      await fetch(`${instances[0].base}/admin/disable/scheduler`, { method: 'POST' });
      const from = await inForceEverywhere(scheduler, ['partner_disabled']);
      await sleep(DURATION_MS * 0.04);
      offWindows.push({ partner: 'scheduler', from, to: Date.now() });
      await fetch(`${instances[1].base}/admin/enable/scheduler`, { method: 'POST' });
    });
    await at(0.16);
    await fault('restart Redis empty', async () => {
      await stopChild(redis);
      await sleep(1000);
      redis = await startRedis(redisPort);
    });
    await at(0.26);
    await fault('restart one instance', async () => {
      instances[2].up = false;
      await stopChild(instances[2].child);
      await startInstance(2);
    });
    await at(0.34);
    await fault("rotate a partner's keys (scheduler, signing.next 5 s ahead)", async () => {
      const before = scheduler.s2s.signingKeys.active().x5t;
      await rotatePartner(scheduler, 5000);
      while (scheduler.s2s.signingKeys.active().x5t === before) await sleep(100);
    });
    await at(0.44);
    await fault('rotate our signing certificate (signing.next 5 s ahead, by config edit)', async () => {
      const next = await createOAuthCertificate({ realm: REALM, name: 'contacts' });
      edit({
        signing: {
          ...state.signing,
          next: {
            certificate: { pem: next.certificatePem },
            privateKey: { pem: next.privateKeyPem },
            effectiveAt: new Date(Date.now() + 5000).toISOString(),
          },
        },
      });
      await sleep(6000);
      // The next pair signs now: make it the current one (the next edit would otherwise carry a past effectiveAt).
      edit({ signing: { certificate: { pem: next.certificatePem }, privateKey: { pem: next.privateKeyPem } } });
    });
    await at(0.56);
    await fault('config edit: add partner reporter (Full)', async () => edit({ reporter: 'Full' }));
    await at(0.62);
    await fault('config edit: change reporter to User (app-only refused)', async () => edit({ reporter: 'User' }));
    await at(0.68);
    await fault('config edit: remove reporter', async () => {
      edit({ reporter: undefined });
      const from = await inForceEverywhere(reporterService, ['unknown_partner']);
      offWindows.push({ partner: 'reporter', from, to: Infinity });
    });
    await at(0.76);
    await fault('a key source hangs (archiver: new key, metadata server stops answering), then recovers', async () => {
      archiver.hang = true;
      await rotatePartner(archiver, 0);
      reused.delete('archiver'); // its next tokens carry the new key: the instances must fetch it
      await sleep(DURATION_MS * 0.08);
      archiver.hang = false;
      for (const res of archiver.held.splice(0)) res.destroy();
    });
  }

  const baseline = {};
  const sampleBaseline = (async () => {
    await at(0.12);
    for (const i of [0, 1]) baseline[i] = footprint(instances[i].child.pid);
  })();
  await Promise.all([script(), sampleBaseline, ...Array.from({ length: WORKERS }, (_, n) => worker(n))]);
  await sleep(1000);
  const final = {};
  for (const i of [0, 1]) final[i] = footprint(instances[i].child.pid);

  // --- the checks --------------------------------------------------------------------------
  const answered = results.filter((r) => r.status !== 0 && r.kind !== 'probe');
  const twice = [...acceptedTimes.values()].filter((n) => n > 1).length;
  const acceptedWhileOff = answered.filter(
    (r) =>
      r.status === 200 && offWindows.some((w) => w.partner === r.partner && r.started >= w.from && r.started < w.to),
  ).length;
  const undocumented5xx = answered.filter((r) => r.status >= 500 && !(r.status === 503 && r.code in TIMEOUTS));
  const late503 = answered.filter((r) => r.status === 503 && r.ms > (TIMEOUTS[r.code] ?? 0) + BOUNDS.timeoutSlackMs);
  const inOffWindow = (r) =>
    offWindows.some((w) => w.partner === r.partner && r.started >= w.from - 1500 && r.started < w.to + 1500);
  // A valid token refused: a 401 for a partner that is on (reporter's 403s as User are by design),
  // except the fresh tokens a restart caught in flight (replay_unverifiable) and the replays.
  const validRefused = answered.filter(
    (r) =>
      r.status === 401 &&
      !inOffWindow(r) &&
      !(r.partner === 'messaging' && (r.code === 'token_replayed' || r.code === 'replay_unverifiable')) &&
      !(r.partner === 'reporter' && r.code === 'unknown_partner'), // being added or removed
  );
  const callOutsRefused = answered.filter((r) => r.kind === 'call-out' && r.status !== 200);
  const count = (filter) => answered.filter(filter).length;
  const checks = [
    ['tokens accepted twice', twice, 0],
    ['accepted for a partner disabled or removed before the request', acceptedWhileOff, 0],
    ['5xx other than the documented 503s', undocumented5xx.length, 0],
    [`503s later than their timeout + ${BOUNDS.timeoutSlackMs} ms`, late503.length, 0],
    ['valid tokens refused (rotations, restarts, reloads)', validRefused.length, 0],
    ['call-outs refused by the partner (our signing rotation)', callOutsRefused.length, 0],
  ];
  for (const i of [0, 1]) {
    checks.push([
      `instance ${i} RSS growth, MB (bound ${BOUNDS.rssGrowthMb})`,
      Math.round(final[i].rssMb - baseline[i].rssMb),
      BOUNDS.rssGrowthMb,
      'max',
    ]);
    checks.push([
      `instance ${i} open file descriptors growth (bound ${BOUNDS.fdGrowth})`,
      final[i].fds - baseline[i].fds,
      BOUNDS.fdGrowth,
      'max',
    ]);
  }
  const failed = checks.filter(([, value, bound, kind]) => (kind === 'max' ? value > bound : value !== bound));
  const summary = {
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    requests: answered.length,
    accepted: count((r) => r.status === 200),
    freshTokens: acceptedTimes.size,
    replaysRefused: count((r) => r.code === 'token_replayed'),
    replayUnverifiable: count((r) => r.code === 'replay_unverifiable'),
    documented503: Object.fromEntries(Object.keys(TIMEOUTS).map((c) => [c, count((r) => r.code === c)])),
    max503Ms: Math.max(0, ...answered.filter((r) => r.status === 503).map((r) => r.ms)),
    faults,
    checks: checks.map(([name, value, bound, kind]) => ({
      name,
      value,
      bound: kind === 'max' ? `<= ${bound}` : `= ${bound}`,
      ok: !failed.some((f) => f[0] === name),
    })),
    samples: {
      validRefused: validRefused.slice(0, 5),
      undocumented5xx: undocumented5xx.slice(0, 5),
      late503: late503.slice(0, 5),
    },
    ok: failed.length === 0,
  };

  await Promise.all(instances.map((i) => stopChild(i.child)));
  await stopChild(redis);
  for (const service of [messaging, scheduler, archiver, reporterService, callee]) {
    for (const res of service.held.splice(0)) res.destroy();
    service.server.closeAllConnections();
    service.server.close();
  }
  rmSync(dir, { recursive: true, force: true });

  if (JSON_OUTPUT) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else printTable(summary);
  process.exitCode = summary.ok ? 0 : 1;
}

function printTable(summary) {
  const out = [];
  out.push(
    `soak: ${summary.durationSeconds} s, ${summary.requests} requests (${summary.accepted} accepted), ${summary.freshTokens} fresh unique tokens`,
  );
  out.push(
    `  replays refused ${summary.replaysRefused}, replay_unverifiable ${summary.replayUnverifiable}, 503s ${JSON.stringify(summary.documented503)} (slowest ${summary.max503Ms} ms)`,
  );
  out.push('faults:');
  for (const f of summary.faults) out.push(`  ${String(f.atSeconds).padStart(4)} s  ${f.name} (${f.tookMs} ms)`);
  out.push('| check | value | bound | |');
  out.push('|---|---|---|---|');
  for (const c of summary.checks) out.push(`| ${c.name} | ${c.value} | ${c.bound} | ${c.ok ? 'ok' : 'FAILED'} |`);
  if (!summary.ok) out.push(`samples: ${JSON.stringify(summary.samples)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`soak: ${error.stack}\n`);
  process.exit(1);
});
