import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// The package must load by name from its build, as a user's `require` and `import` would.
const root = join(__dirname, '..', '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

describe('the published package', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'index.js')))
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  });

  it('loads with require()', () => {
    const out = node([
      '-e',
      "const m = require('s2s-oauth'); console.log(typeof m.createS2SAuth, typeof m.loadConfig, typeof m.ConfigError)",
    ]);
    expect(out.trim()).toBe('function function function');
  });

  it('loads with import', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { createS2SAuth, TokenError } from 's2s-oauth'; console.log(typeof createS2SAuth, typeof TokenError)",
    ]);
    expect(out.trim()).toBe('function function');
  });

  it('ships type declarations and a runnable CLI', () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true);
    expect(node([join(root, 'dist', 'cli', 'main.js'), '--help'])).toMatch(/^Usage: s2s-oauth <command>/);
  });
});
