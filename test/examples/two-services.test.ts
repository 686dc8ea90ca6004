import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The README's two-service example (examples/two-services.ts), compiled under `strict` with
// skipLibCheck: false against the built package, and run: it must keep working as printed.
const root = join(__dirname, '..', '..');

describe("the README's two-service example", () => {
  it("compiles and runs: alice's contact is saved through the partner call, an anonymous call is refused", () => {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', join(root, 'examples', 'tsconfig.json')],
      { cwd: root, stdio: 'pipe' },
    );
    const out = execFileSync(process.execPath, [join(root, '.examples-build', 'two-services.js')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toBe(
      'messaging -> contacts for alice: 201 {"savedFor":"alice@contoso.com","by":"messaging","contact":{"name":"Bob","email":"bob@contoso.com"}}\n' +
        'anonymous -> contacts: 401 {"error":null,"code":"token_missing"}\n',
    );
  });
});
