import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/config-error';

/**
 * Where PEM text (a certificate or a private key) comes from: a file path, the text itself, or
 * the name of an environment variable holding it (how mounted secrets and secret managers hand
 * keys to services).
 *
 * @example
 * ```json
 * "signing": { "certificate": "certs/oauth-cert.pem", "privateKey": { "env": "S2S_PRIVATE_KEY" } }
 * ```
 */
export type PemSource =
  /** A file path (relative to the configuration file's folder). */
  | string
  | {
      /** The PEM text itself. */
      pem: string;
    }
  | {
      /** The name of an environment variable holding the PEM text (escaped `\n` newlines understood). */
      env: string;
    };

/** Whether a value looks like PEM text (or any multi-line secret) rather than a file path. */
export function looksLikePem(value: string): boolean {
  return value.includes('-----BEGIN') || value.includes('\n');
}

/**
 * Reads PEM text from a {@link PemSource} named by configuration field `field`. Errors name the
 * field and the cause, never the text, and never the value of a field that may hold a secret
 * (`secret: true`): not even its path, which may be key material put in the wrong place.
 */
export function readPemSource(
  source: PemSource,
  field: string,
  options: { secret: boolean; env?: NodeJS.ProcessEnv },
): string {
  if (typeof source === 'object' && 'pem' in source) return source.pem;
  if (typeof source === 'object' && 'env' in source) {
    const value = (options.env ?? process.env)[source.env];
    if (value === undefined || value === '')
      throw new ConfigError(`${field}.env`, `the environment variable ${source.env} is not set`);
    // A variable may carry its newlines escaped (one-line secrets in .env files and CI settings).
    return value.includes('\\n') && !value.includes('\n') ? value.replace(/\\n/g, '\n') : value;
  }
  try {
    return readFileSync(source, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      field,
      options.secret ? `cannot read the file this field names (${code})` : `cannot read ${source}: ${code}`,
      { cause: e },
    );
  }
}
