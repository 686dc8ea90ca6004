// Loads a service's s2s-oauth configuration file, replacing ${NAME} with environment variables
// first (peer URLs and folders differ per run). The edge of the app reads the environment; the
// library only ever sees the finished configuration.
const { readFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { parseConfig } = require('s2s-oauth');

function loadServiceConfig(file, env = process.env) {
  const text = readFileSync(file, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name) => {
    if (env[name] === undefined) throw new Error(`${file}: environment variable ${name} is not set`);
    return env[name];
  });
  return parseConfig(JSON.parse(text), { baseDir: dirname(file) });
}

module.exports = { loadServiceConfig };
