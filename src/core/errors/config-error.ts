/**
 * A misconfiguration found at start-up: names the field path and what was expected.
 *
 * It extends `TypeError` (as jose and express do for bad options) so callers that already
 * treat bad options as programmer errors keep doing so. The message never contains a key.
 *
 * @example
 * ```ts
 * try { loadConfig('s2s.json'); } catch (e) { if (e instanceof ConfigError) console.error(e.path, e.message); }
 * ```
 */
export class ConfigError extends TypeError {
  override readonly name = 'ConfigError';
  /** Dotted path of the offending field, e.g. `partners[0].trustLevel`; `''` for the whole document. */
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(path ? `s2s-oauth config: ${path}: ${problem}` : `s2s-oauth config: ${problem}`, options);
    this.path = path;
  }
}
