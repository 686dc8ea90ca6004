import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The README's examples (examples/*.ts), compiled under `strict` with skipLibCheck: false
// against the built package, and run: they must keep working as printed.
const root = join(__dirname, '..', '..');
let compiled = false;

/** Compiles the examples (once per run) and runs one, returning what it printed. */
function runExample(name: string): string {
  if (!compiled) {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', join(root, 'examples', 'tsconfig.json')],
      { cwd: root, stdio: 'pipe' },
    );
    compiled = true;
  }
  return execFileSync(process.execPath, [join(root, '.examples-build', `${name}.js`)], { cwd: root, encoding: 'utf8' });
}

describe("the README's two-service example", () => {
  it("compiles and runs: alice's contact is saved through the partner call, an anonymous call is refused", () => {
    const out = runExample('two-services');
    expect(out).toBe(
      'messaging -> contacts for alice: 201 {"savedFor":"alice@contoso.com","by":"messaging","contact":{"name":"Bob","email":"bob@contoso.com"}}\n' +
        'anonymous -> contacts: 401 {"error":null,"code":"token_missing"}\n',
    );
  }, 60_000);
});

describe("the README's observability example", () => {
  it('compiles and runs: the Prometheus scrape shows the decisions it made, the console the start-up line and the refusal', () => {
    const out = runExample('observability');
    expect(out).toMatch(/^s2s-oauth: [0-9a-f-]+@contoso.com ready: signing with /);
    expect(out).toContain(
      "s2s-oauth: refused a call: 401 token_malformed { component: 's2s-oauth', code: 'token_malformed', status: 401 }",
    );
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const scope = `otel_scope_name="s2s-oauth",otel_scope_version="${version}"`;
    expect(out).toContain(
      `s2s_oauth_inbound_decisions_total{s2s_oauth_decision="accepted",s2s_oauth_partner="messaging",s2s_oauth_cache="miss",${scope}} 2\n`,
    );
    expect(out).toContain(
      `s2s_oauth_inbound_decisions_total{s2s_oauth_decision="accepted",s2s_oauth_partner="messaging",s2s_oauth_cache="hit",${scope}} 1\n`,
    );
    expect(out).toContain(
      `s2s_oauth_inbound_decisions_total{s2s_oauth_decision="rejected",s2s_oauth_cache="miss",error_type="token_malformed",http_response_status_code="401",${scope}} 1`,
    );
  }, 60_000);
});
