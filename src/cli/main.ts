#!/usr/bin/env node
import { runCli } from './run-cli';

// The only place that touches the process: arguments, streams and the exit code.
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
}).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`s2s-oauth: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
