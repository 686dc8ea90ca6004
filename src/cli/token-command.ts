import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/parse-config';
import { createS2SAuth } from '../s2s-auth';
import { UsageError, type CliIo } from './cli-io';

export const TOKEN_MINT_HELP = `Usage: s2s-oauth token mint --config FILE --partner NAME [--user UPN] [--host HOST]

Mints a token with the service's built-in token issuer, for debugging. The token
is a credential: treat the output as a secret.

Options:
  --config FILE    the service's s2s-oauth configuration (JSON)             required
  --partner NAME   the partner application the token is for                 required
  --user UPN       mint a user-context token on behalf of this user
  --host HOST      the partner host in the audience (default: the host of its first baseUrl)
  --lifetime SEC   lifetime in seconds (default: tokens.lifetimeSeconds)
  --help           this text
`;

export async function tokenMint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      partner: { type: 'string' },
      user: { type: 'string' },
      host: { type: 'string' },
      lifetime: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return (io.out(TOKEN_MINT_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  if (!values.partner) throw new UsageError('--partner is required');
  const service = createS2SAuth(loadConfig(values.config));
  const partner = service.config.partners.find((p) => p.name === values.partner);
  if (!partner) {
    const known = service.config.partners.map((p) => p.name).join(', ') || 'none configured';
    throw new UsageError(`no partner named "${values.partner}" (known: ${known})`);
  }
  if (!partner.applicationId || !partner.realm) {
    throw new UsageError(`partner "${partner.name}" needs applicationId and realm in the configuration to mint for it`);
  }
  const host = values.host ?? (partner.baseUrls[0] ? new URL(partner.baseUrls[0]).host : undefined);
  if (!host) throw new UsageError(`--host is required: partner "${partner.name}" lists no baseUrls`);
  const lifetimeSeconds = values.lifetime === undefined ? undefined : Number(values.lifetime);
  const { token } = await service.issuer.mint({
    audience: { principalId: partner.applicationId, host, realm: partner.realm },
    ...(values.user && { user: { upn: values.user } }),
    ...(lifetimeSeconds !== undefined && { lifetimeSeconds }),
    legacy: partner.legacyTokens,
  });
  io.out(token + '\n');
  return 0;
}
