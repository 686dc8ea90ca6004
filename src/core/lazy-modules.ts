/*
 * Dependencies a service may never use, loaded on first use instead of at `require('s2s-oauth')`:
 * every service pays start-up time and memory for what it loads (shared/PERFORMANCE.md). jose
 * signs our tokens (a verify-only service never needs it: verification is node:crypto's), and
 * @peculiar/x509 only creates certificates (`cert new`). The configuration schema (zod, about
 * 30 ms and 6 MB here, zod/mini no less) is built when a configuration is first validated.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

let jose: typeof import('jose') | undefined;
let configSchema: typeof import('./config/config-schema') | undefined;
let x509: typeof import('@peculiar/x509') | undefined;

/** jose, loaded the first time a token is signed. */
export function loadJose(): typeof import('jose') {
  return (jose ??= require('jose') as typeof import('jose'));
}

/** The configuration schemas, built the first time a configuration or partner is validated. */
export function loadConfigSchema(): typeof import('./config/config-schema') {
  return (configSchema ??= require('./config/config-schema') as typeof import('./config/config-schema'));
}

/** @peculiar/x509, loaded the first time a certificate is created. */
export function loadX509(): typeof import('@peculiar/x509') {
  return (x509 ??= require('@peculiar/x509') as typeof import('@peculiar/x509'));
}
