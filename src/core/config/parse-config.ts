import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error';
import { configSchema, type S2SConfig, type S2SConfigInput } from './config-schema';
import { defaultRealmFor } from './default-realm';

/** A validated configuration whose realm is always set. */
export type ResolvedConfig = S2SConfig & { realm: string };

/** `['partners', 0, 'trustLevel']` -> `partners[0].trustLevel` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** The first problem zod found, as a {@link ConfigError} naming its field path. */
export function toConfigError(issue: z.core.$ZodIssue): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const field = formatPath([...issue.path, issue.keys[0]!]);
    return new ConfigError(field, `unknown field${issue.keys.length > 1 ? ` (also: ${issue.keys.slice(1).join(', ')})` : ''}`);
  }
  const message = issue.message.replace(/^Invalid input: /, '').replace(/^expected (.+), received undefined$/, 'required (expected $1)');
  return new ConfigError(formatPath(issue.path), message);
}

/**
 * Validates a configuration object and fills in defaults.
 *
 * Relative file paths (certificates and keys) are resolved against `baseDir` (default: the
 * current directory). Throws a {@link ConfigError} naming the first offending field.
 * It does NOT read certificate files: {@link createS2SAuth} does, and names the field if one fails.
 */
export function parseConfig(input: S2SConfigInput | unknown, options: { baseDir?: string } = {}): ResolvedConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw toConfigError(result.error.issues[0]!);
  const config = result.data;
  const realm = config.realm ?? defaultRealmFor(config.hostnames[0]!);
  if (!realm) throw new ConfigError('realm', `required: no domain can be derived from hostname "${config.hostnames[0]}"`);
  const baseDir = options.baseDir ?? process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const signing = {
    ...config.signing,
    certificate: at(config.signing.certificate),
    privateKey: at(config.signing.privateKey),
    ...(config.signing.next && {
      next: { ...config.signing.next, certificate: at(config.signing.next.certificate), privateKey: at(config.signing.next.privateKey) },
    }),
  };
  const partners = config.partners.map((p) =>
    p.keySource?.kind === 'certificate' ? { ...p, keySource: { ...p.keySource, certificates: p.keySource.certificates.map(at) } } : p,
  );
  return { ...config, realm, signing, partners };
}

/**
 * Loads a JSON configuration file. Paths inside it are relative to the file's folder.
 *
 * @example
 * ```ts
 * const s2s = createS2SAuth(loadConfig('s2s.json'));
 * ```
 */
export function loadConfig(path: string): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('', `cannot read configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseConfig(json, { baseDir: dirname(resolve(path)) });
}
