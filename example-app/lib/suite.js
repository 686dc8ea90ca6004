// Starts and stops the example suite: OAuth certificates made with the s2s-oauth CLI on first run,
// free loopback ports, and each service as its own Node.js process.
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { createServer } = require('node:net');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const SERVICES = ['mail', 'im', 'scheduler'];
/** Identities with certificates: the three services, a partner mail has disabled, and a stranger. */
const IDENTITIES = [...SERVICES, 'crm', 'rogue'];

/** Creates the OAuth certificates that do not exist yet, with the package's own CLI. */
function ensureCertificates(certDir, log = () => {}) {
  const cli = require.resolve('s2s-oauth/package.json').replace(/package\.json$/, 'dist/cli/main.js');
  for (const name of IDENTITIES) {
    if (existsSync(join(certDir, name, 'oauth-cert.pem'))) continue;
    execFileSync(
      process.execPath,
      [cli, 'cert', 'new', '--realm', 'contoso.com', '--name', name, '--out', join(certDir, name)],
      { stdio: 'ignore' },
    );
    log(`created an OAuth certificate for ${name} (s2s-oauth cert new)`);
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts one service process; resolves once it listens. */
function startService(name, env) {
  const child = spawn(process.execPath, [join(ROOT, name, 'server.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const onData = (data) => {
      output += data;
      const line = output.split('\n').find((l) => l.startsWith('{"service"'));
      if (!line) return;
      child.stdout.off('data', onData);
      child.stdout.on('data', (d) => env.LOG && process.stdout.write(`  [${name}] ${d}`));
      resolve({
        name,
        url: JSON.parse(line).url,
        process: child,
        stop: () =>
          new Promise((done) =>
            child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill('SIGTERM')),
          ),
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output.slice(0, 2000)}`)));
  });
}

/**
 * Starts mail, im and scheduler on free loopback ports. Each learns its peers' URLs from the
 * environment (its config file refers to ${MAIL_URL}, ${IM_URL}, ${SCHEDULER_URL}).
 */
async function startSuite({ certDir, dataDir, log }) {
  mkdirSync(dataDir, { recursive: true });
  ensureCertificates(certDir, log);
  const ports = { mail: await freePort(), im: await freePort(), scheduler: await freePort() };
  const env = {
    CERT_DIR: certDir,
    DATA_DIR: dataDir,
    MAIL_URL: `http://127.0.0.1:${ports.mail}`,
    IM_URL: `http://127.0.0.1:${ports.im}`,
    SCHEDULER_URL: `http://127.0.0.1:${ports.scheduler}`,
  };
  const services = {};
  for (const name of SERVICES) services[name] = await startService(name, { ...env, PORT: String(ports[name]) });
  return {
    env,
    services,
    /** Restarts one service on the same port (its data stays in DATA_DIR). */
    restart: async (name) => {
      await services[name].stop();
      services[name] = await startService(name, { ...env, PORT: String(ports[name]) });
      return services[name];
    },
    stop: () => Promise.all(Object.values(services).map((s) => s.stop())),
  };
}

module.exports = { startSuite, ensureCertificates, ROOT };
