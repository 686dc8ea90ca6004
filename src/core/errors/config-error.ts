/** One problem in a configuration: the field it is in and what was expected. */
export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `partners[0].trustLevel`; `''` for the whole document. */
  readonly path: string;
  /** What is wrong, never the field's value (it may be a key or a secret put in the wrong place). */
  readonly message: string;
}

/**
 * A misconfiguration found at start-up: every problem at once (`issues`), each naming its field
 * path and what was expected. `path` is the first one's.
 *
 * It extends `TypeError` (as jose and express do for bad options) so callers that already
 * treat bad options as programmer errors keep doing so. The message never contains a value
 * that may be secret: no key, no token, no environment variable's content.
 *
 * @example
 * ```ts
 * try { loadConfig('s2s.json'); } catch (e) { if (e instanceof ConfigError) for (const i of e.issues) console.error(i.path, i.message); }
 * ```
 */
export class ConfigError extends TypeError {
  /** Always `ConfigError`. */
  override readonly name = 'ConfigError';
  /** Dotted path of the (first) offending field, e.g. `partners[0].trustLevel`; `''` for the whole document. */
  readonly path: string;
  /** Every problem found, in document order. */
  readonly issues: readonly ConfigIssue[];

  constructor(path: string, problem: string, options?: { cause?: unknown; issues?: readonly ConfigIssue[] }) {
    const issues = options?.issues && options.issues.length > 0 ? options.issues : [{ path, message: problem }];
    const text =
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} problems:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
    super(`s2s-oauth config: ${text}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.path = issues[0]!.path;
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }

  /** One error for several problems (at least one). */
  static of(issues: readonly ConfigIssue[]): ConfigError {
    return new ConfigError(issues[0]!.path, issues[0]!.message, { issues });
  }
}

function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
