import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * As a new user would: `npm pack`, then in a fresh folder outside the repository a new strict
 * TypeScript project installs the tarball with express (and the usual TypeScript packages), and
 * compiles (skipLibCheck: false) and runs the README's two-service example. No extra package of
 * ours, no type error, no install warning from our package. Installs come from the registry.
 */
const root = join(__dirname, '..', '..');
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });

describe('the packed package in a fresh TypeScript project', () => {
  let project: string;
  let installLog: string;

  beforeAll(() => {
    const packDir = mkdtempSync(join(tmpdir(), 's2s-pack-'));
    const tarball = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], root))[0].filename as string;
    project = mkdtempSync(join(tmpdir(), 's2s-user-'));
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, type: 'commonjs' }),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          esModuleInterop: true,
          outDir: 'out',
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    copyFileSync(join(root, 'examples', 'two-services.ts'), join(project, 'two-services.ts'));
    for (const file of ['contacts-app.js', 'contacts.node-test.mjs'])
      copyFileSync(join(root, 'examples', 'testing', file), join(project, file));
    const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    // What any TypeScript Express project has; nothing of ours beyond the tarball.
    const tools = [
      `typescript@${ours.devDependencies.typescript}`,
      '@types/node@latest',
      '@types/express@^5',
      'express@^5',
    ];
    // stdout and stderr both: npm writes its warnings (a `prepare` script, a peer conflict) to stderr.
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', join(packDir, tarball), ...tools], {
      cwd: project,
      encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
    installLog = `${install.stdout}\n${install.stderr}`;
  }, 180_000);

  it('installs without a warning about our package', () => {
    expect(installLog).not.toMatch(/s2s-oauth/i);
  });

  it('compiles the README example with skipLibCheck: false and runs it', () => {
    execFileSync(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
      cwd: project,
      stdio: 'pipe',
    });
    const out = execFileSync(process.execPath, [join(project, 'out', 'two-services.js')], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(out).toMatch(/^messaging -> contacts for alice: 201 \{"savedFor":"alice@contoso.com","by":"messaging"/);
    expect(out).toMatch(/anonymous -> contacts: 401 \{"error":null,"code":"token_missing"\}\n$/);
  }, 60_000);

  it("runs the README's test-kit example with node:test (s2s-oauth/testing from the tarball)", () => {
    const run = spawnSync(process.execPath, ['--test', 'contacts.node-test.mjs'], { cwd: project, encoding: 'utf8' });
    expect(run.stdout).toMatch(/^# pass 7$/m);
    expect(run.status).toBe(0);
  }, 60_000);
});
