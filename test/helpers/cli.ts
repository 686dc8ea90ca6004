import { runCli } from '../../src/cli/run-cli';
import { inspectForSecrets } from './secret-scan';

/** Runs the CLI in-process and captures what it prints. */
export async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin });
  // What the CLI says about bad input (and its error stream always) must carry no secret.
  inspectForSecrets(`s2s-oauth ${argv.slice(0, 2).join(' ')} (stderr)`, err);
  if (code !== 0) inspectForSecrets(`s2s-oauth ${argv.slice(0, 2).join(' ')} (stdout, exit ${code})`, out);
  return { code, out, err };
}
