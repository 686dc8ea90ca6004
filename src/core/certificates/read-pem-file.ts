import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/config-error';

/** Reads a PEM file named by configuration field `field`; the error names the field and path, never the content. */
export function readPemFile(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(field, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
}
