import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/parse-config';
import { TokenError } from '../core/errors/token-error';
import { parseCompactJws } from '../core/tokens/compact-jws';
import { createS2SAuth } from '../s2s-auth';
import { UsageError, type CliIo } from './cli-io';

export const TOKEN_EXPLAIN_HELP = `Usage: s2s-oauth token explain --config FILE [TOKEN | -]

"Why 401?": decodes a token (never printing its signature) and names every check it
passes or fails against the configuration: which partner, which key, the audience
expected and found, the time window and the trust level. Reads the token from
standard input when it is "-" or missing. Partner keys are fetched as the service would.

Options:
  --config FILE   the receiving service's s2s-oauth configuration (JSON)    required
  --help          this text

Exit code: 0 when the token would be accepted, 1 when it would be refused.
`;

const when = (value: unknown) =>
  typeof value === 'number' ? `${value} (${new Date(value * 1000).toISOString()})` : JSON.stringify(value);

export async function tokenExplain(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return (io.out(TOKEN_EXPLAIN_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  if (positionals.length > 1) throw new UsageError('give one token (or - for standard input)');
  const token = (positionals[0] === undefined || positionals[0] === '-' ? await io.readStdin() : positionals[0])
    .trim()
    .replace(/^Bearer\s+/i, '');
  if (!token) throw new UsageError('no token given');
  const service = createS2SAuth(loadConfig(values.config));

  const lines: string[] = [];
  try {
    const { header, payload, signature } = parseCompactJws(token);
    lines.push(`header     ${JSON.stringify(header)}`);
    lines.push(
      `claims     ${JSON.stringify({ ...payload, ...(typeof payload.actortoken === 'string' && { actortoken: '(signed actor token, checked below)' }) })}`,
    );
    lines.push(`signature  ${signature.length} bytes (not shown)`);
    lines.push('');
    lines.push(`audience   found    ${JSON.stringify(payload.aud)}`);
    lines.push(
      `           expected ${service.config.serviceName}/<${service.config.hostnames.join(' | ')}>@<${service.realms.join(' | ')}>`,
    );
    lines.push(
      `time       nbf ${when(payload.nbf)}, exp ${when(payload.exp)}, now ${new Date().toISOString()}, skew ${service.config.tokens.clockSkewSeconds} s`,
    );
    lines.push('');
  } catch {
    // Not even decodable: the checks below say why.
  }
  const result = await service.verifier.explain(token);
  for (const step of result.steps) lines.push(`PASS  ${step.check.padEnd(18)} ${step.detail}`);
  if (result.error) {
    lines.push(`FAIL  ${explainError(result.error)}`);
  } else {
    const p = result.principal!;
    lines.push(
      `ACCEPTED  ${p.kind === 'user' ? `partner ${p.partner} acting for ${p.user!.id}` : `partner ${p.partner} calling as itself`}, trust ${p.trustLevel}, permissions [${p.permissions.join(', ')}]`,
    );
  }
  io.out(lines.join('\n') + '\n');
  return result.error ? 1 : 0;
}

function explainError(error: TokenError): string {
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.code} -> HTTP ${error.status}${error.error ? ` ${error.error}` : ''}: ${error.message}${cause}`;
}
