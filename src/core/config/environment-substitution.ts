import { ConfigError, type ConfigIssue } from '../errors/config-error';
import { formatPath } from './field-path';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${NAME}` in the strings of a parsed JSON document with the environment variable
 * `NAME`, the way services are deployed (peer URLs, certificate folders, a key in `{ "pem":
 * "${KEY}" }`). Substitution happens after parsing, so a value can never change the document's
 * structure. Every unset variable is reported at once, by field and variable name; no value is
 * ever part of an error.
 */
export function substituteEnvironment(document: unknown, env: NodeJS.ProcessEnv): unknown {
  const issues: ConfigIssue[] = [];
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === 'string') {
      return value.replace(REFERENCE, (reference, name: string) => {
        const replacement = env[name];
        if (replacement !== undefined) return replacement;
        issues.push({ path: formatPath(path), message: `the environment variable ${name} is not set` });
        return reference;
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    return value;
  };
  const substituted = walk(document, []);
  if (issues.length > 0) throw ConfigError.of(issues);
  return substituted;
}
