import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/parse-config';
import { createS2SAuth } from '../s2s-auth';
import { UsageError, type CliIo } from './cli-io';

export const METADATA_HELP = `Usage: s2s-oauth metadata --config FILE [--url URL] [--jwks]

Prints the service's auth-metadata document (/metadata/json/1), as partners read it.

Options:
  --config FILE   the service's s2s-oauth configuration (JSON)              required
  --url URL       where the document is served (default https://<first hostname>/metadata/json/1)
  --jwks          print the JWKS (/.well-known/jwks.json) instead
  --help          this text
`;

export async function metadata(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      url: { type: 'string' },
      jwks: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return (io.out(METADATA_HELP), 0);
  if (!values.config) throw new UsageError('--config is required');
  const service = createS2SAuth(loadConfig(values.config));
  const document = values.jwks ? service.jwks() : service.metadataDocument(values.url);
  io.out(JSON.stringify(document, null, 2) + '\n');
  return 0;
}
