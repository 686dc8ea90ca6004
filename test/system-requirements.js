// What some test suites need from the machine besides npm packages: Debian packages that `npm test`
// installs itself when it runs as root with apt (scripts/test-prerequisites.js), and whose absence
// otherwise skips those suites (test/helpers/requirements.ts) — except under S2S_REQUIRE_ALL, which
// .ci/run sets, where a missing one fails the run: CI never skips.
const { existsSync } = require('node:fs');
const { delimiter, join } = require('node:path');

/** True when `command` is an executable on PATH. */
function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

const REQUIREMENTS = {
  'redis-server': {
    debianPackage: 'redis-server',
    usedBy: 'the Redis, fleet and soak suites',
    present: () => onPath('redis-server'),
  },
  softhsm2: {
    debianPackage: 'softhsm2',
    usedBy: 'the HSM signing suite',
    present: () => existsSync('/usr/lib/softhsm/libsofthsm2.so') && onPath('softhsm2-util'),
  },
};

/** The install line for a requirement, as the README gives it. */
function installHint(name) {
  return `sudo apt-get install ${REQUIREMENTS[name].debianPackage}`;
}

/** True when CI asked that nothing be skipped. */
function requireAll() {
  return Boolean(process.env.S2S_REQUIRE_ALL) && process.env.S2S_REQUIRE_ALL !== '0';
}

module.exports = { REQUIREMENTS, installHint, requireAll };
