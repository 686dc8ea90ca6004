import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/config-error';
import type { PemSource } from '../certificates/pem-source';
import type { S2SConfig, S2SConfigInput } from './config-schema';
import { loadConfigSchema } from '../lazy-modules';
import { defaultRealmFor } from './default-realm';
import { formatPath } from './field-path';
import { substituteEnvironment } from './environment-substitution';
import { findImpossibleSetups } from './startup-checks';

/** A validated configuration whose realm is always set (derived from the first hostname when not configured). */
export type ResolvedConfig = S2SConfig & Required<Pick<S2SConfig, 'realm'>>;

/** One problem zod found, as a {@link ConfigIssue} naming its field path (zod's messages never carry the value). */
export function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  if (issue.code === 'unrecognized_keys') {
    return {
      path: formatPath([...issue.path, issue.keys[0]!]),
      message: `unknown field${issue.keys.length > 1 ? ` (also: ${issue.keys.slice(1).join(', ')})` : ''}`,
    };
  }
  const message = issue.message
    .replace(/^Invalid input: /, '')
    .replace(/^expected (.+), received undefined$/, 'required (expected $1)');
  return { path: formatPath(issue.path), message };
}

/** Every problem zod found, as one {@link ConfigError}. */
export function toConfigError(issues: readonly z.core.$ZodIssue[]): ConfigError {
  return ConfigError.of(issues.map(toConfigIssue));
}

/**
 * Validates a configuration object and fills in defaults.
 *
 * Relative file paths (certificates and keys) are resolved against `baseDir` (default: the
 * current directory). Throws one {@link ConfigError} listing every problem (`issues`), each
 * naming its field: schema violations first, then set-ups that can never work (an `http:` URL
 * whose host is not allow-listed, an allow-list entry with a port or scheme, a hostname with a
 * scheme or path, no realm to derive).
 * It does NOT read certificate files: {@link createS2SAuth} does, and names the field if one fails.
 */
export function parseConfig(input: S2SConfigInput | unknown, options: { baseDir?: string } = {}): ResolvedConfig {
  const result = loadConfigSchema().configSchema.safeParse(input);
  if (!result.success) throw toConfigError(result.error.issues);
  const config = result.data;
  const issues = findImpossibleSetups(config);
  const realm = config.realm ?? defaultRealmFor(config.hostnames[0]!);
  if (!realm)
    issues.push({
      path: 'realm',
      message: `required: no domain can be derived from hostname "${config.hostnames[0]}"`,
    });
  if (issues.length > 0) throw ConfigError.of(issues);
  const baseDir = options.baseDir ?? process.cwd();
  const at = <T extends PemSource>(p: T): T =>
    typeof p === 'string' ? ((isAbsolute(p) ? p : resolve(baseDir, p)) as T) : p;
  const pair = <T extends { certificate: PemSource; privateKey?: PemSource }>(p: T): T => ({
    ...p,
    certificate: at(p.certificate),
    ...(p.privateKey !== undefined && { privateKey: at(p.privateKey) }),
  });
  const signing = {
    ...pair(config.signing),
    ...(config.signing.next && { next: pair(config.signing.next) }),
  };
  const partners = config.partners.map((p) =>
    p.keySource?.kind === 'certificate'
      ? { ...p, keySource: { ...p.keySource, certificates: p.keySource.certificates.map(at) } }
      : p,
  );
  return { ...config, realm: realm!, signing, partners };
}

/** Where in a JSON text a syntax error is, from V8's "at position N" (its message itself may quote the text: never shown). */
function syntaxErrorLocation(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Loads a JSON configuration file. Paths inside it are relative to the file's folder. A UTF-8
 * byte-order mark is accepted; a syntax error names its line and column. Every `${NAME}` in a
 * string is replaced by the environment variable `NAME` (`env`, default `process.env`); an unset
 * one is a {@link ConfigError} naming the field and the variable. Values are never printed.
 *
 * @example
 * ```ts
 * const s2s = createS2SAuth(loadConfig('s2s.json'));
 * ```
 */
export function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      '',
      `cannot read configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: e },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('', `${path} is not valid JSON${syntaxErrorLocation(text, e as Error)}`);
  }
  return parseConfig(substituteEnvironment(json, options.env ?? process.env), { baseDir: dirname(resolve(path)) });
}
