import { ConfigError } from '../core/errors/config-error';
import { certNew, CERT_NEW_HELP } from './cert-command';
import { check, CHECK_HELP } from './check-command';
import { certRollover, certStatus, CERT_ROLLOVER_HELP, CERT_STATUS_HELP } from './cert-rollover-command';
import { UsageError, type CliIo } from './cli-io';
import { metadata, METADATA_HELP } from './metadata-command';
import { tokenMint, TOKEN_MINT_HELP } from './token-command';
import { tokenExplain, TOKEN_EXPLAIN_HELP } from './explain-command';

const HELP = `Usage: s2s-oauth <command> [options]

Commands:
  cert new        create a self-signed OAuth certificate and key
  cert rollover   schedule the next signing certificate (signing.next, effectiveAt)
  cert status     the current and next signing certificates, and which one signs now
  metadata        print the service's /metadata/json/1 document (or --jwks)
  token mint      mint a token for a partner (debugging)
  token explain   "why 401?": every check a token passes or fails
  check           check a deployment: certificates, partners' keys, trust both ways

Run "s2s-oauth <command> --help" for a command's options.
`;

type Command = { run: (args: string[], io: CliIo) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  'cert new': { run: certNew, help: CERT_NEW_HELP },
  'cert rollover': { run: certRollover, help: CERT_ROLLOVER_HELP },
  'cert status': { run: certStatus, help: CERT_STATUS_HELP },
  metadata: { run: metadata, help: METADATA_HELP },
  'token mint': { run: tokenMint, help: TOKEN_MINT_HELP },
  'token explain': { run: tokenExplain, help: TOKEN_EXPLAIN_HELP },
  check: { run: check, help: CHECK_HELP },
};

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 on success, 1 when the configuration or an input is wrong, 2 on a usage error.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const two = argv.slice(0, 2).join(' ');
  const key = COMMANDS[two] ? two : (argv[0] ?? '');
  const command = COMMANDS[key];
  if (!command) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') return (io.out(HELP), 0);
    io.err(`s2s-oauth: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command.run(argv.slice(key.split(' ').length), io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`s2s-oauth ${key}: ${(e as Error).message}\nRun "s2s-oauth ${key} --help" for usage.\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof TypeError) {
      io.err(`s2s-oauth ${key}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
