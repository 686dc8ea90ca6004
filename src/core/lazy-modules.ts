/*
 * Dependencies a service may never use, loaded on first use instead of at `require('s2s-oauth')`:
 * every service pays start-up time and memory for what it loads (shared/PERFORMANCE.md). jose
 * signs our tokens (a verify-only service never needs it: verification is node:crypto's), and
 * @peculiar/x509 only creates certificates (`cert new`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */

let jose: typeof import('jose') | undefined;
let x509: typeof import('@peculiar/x509') | undefined;

/** jose, loaded the first time a token is signed. */
export function loadJose(): typeof import('jose') {
  return (jose ??= require('jose') as typeof import('jose'));
}

/** @peculiar/x509, loaded the first time a certificate is created. */
export function loadX509(): typeof import('@peculiar/x509') {
  return (x509 ??= require('@peculiar/x509') as typeof import('@peculiar/x509'));
}
