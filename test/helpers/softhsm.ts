import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's SoftHSM2 module (package `softhsm2`; `.ci/run` installs it). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** The token the test run made: its label, and the variable holding its user PIN. */
export interface TestToken {
  label: string;
  /** The environment variable that holds the PIN. */
  pinEnv: string;
  /** The PIN itself: only to hand to children's environments and to the secret scan. */
  pin: string;
  /** The environment a child process needs to use the token. */
  env: NodeJS.ProcessEnv;
}

const LABEL = 's2s-test';
const PIN_ENV = 'S2S_TEST_HSM_PIN';

/**
 * Jest's global setup (run once, in the parent, before any worker starts): a token folder and a
 * `SOFTHSM2_CONF` of the run's own, and a token in it with a random PIN. The variables go into the
 * real environment, which the workers inherit: SoftHSM reads its configuration through getenv
 * when the module is first initialised in a process, and a test file's `process.env` is only a
 * copy that getenv never sees.
 */
export function prepareTestToken(): void {
  if (!existsSync(SOFTHSM_MODULE)) return; // the HSM suite says what is missing (test/helpers/requirements.ts)
  const dir = mkdtempSync(join(tmpdir(), 's2s-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const pin = `pin-${randomBytes(6).toString('hex')}`;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', LABEL, '--pin', pin, '--so-pin', `so-${randomBytes(6).toString('hex')}`],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'ignore' },
  );
  process.env.SOFTHSM2_CONF = conf;
  process.env[PIN_ENV] = pin;
}

/** The run's token (made by {@link prepareTestToken}). */
export function testToken(): TestToken {
  const pin = process.env[PIN_ENV];
  if (!pin || !process.env.SOFTHSM2_CONF)
    throw new Error('no SoftHSM2 token: is softhsm2 installed? (.ci/run installs it)');
  return { label: LABEL, pinEnv: PIN_ENV, pin, env: { ...process.env } };
}
