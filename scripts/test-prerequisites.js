#!/usr/bin/env node
// First step of `npm test`: the Debian packages some suites need (test/system-requirements.js).
// Missing ones are installed the way .ci/run always did (apt-get, when running as root on a
// machine with apt and S2S_TEST_NO_INSTALL unset); what is still missing is named in one line
// each and its suites are skipped, or, under S2S_REQUIRE_ALL (CI), the run stops here.
const { execFileSync } = require('node:child_process');
const { REQUIREMENTS, installHint, requireAll } = require('../test/system-requirements');

const missingNow = () => Object.keys(REQUIREMENTS).filter((name) => !REQUIREMENTS[name].present());

function canInstall() {
  if (process.env.S2S_TEST_NO_INSTALL) return false;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function install(names) {
  const packages = names.map((name) => REQUIREMENTS[name].debianPackage);
  console.log(`test prerequisites: installing ${packages.join(', ')} with apt-get (as .ci/run does)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  } catch (error) {
    console.log(`test prerequisites: apt-get failed (${error.message.split('\n')[0]})`);
  }
}

let missing = missingNow();
if (missing.length > 0 && canInstall()) {
  install(missing);
  missing = missingNow();
}
for (const name of missing) {
  const what = requireAll()
    ? 'S2S_REQUIRE_ALL is set, so the run stops'
    : `${REQUIREMENTS[name].usedBy} will be skipped`;
  console.log(`test prerequisites: ${name} is not installed: ${what} (install it: ${installHint(name)})`);
}
if (missing.length > 0 && requireAll()) process.exit(1);
