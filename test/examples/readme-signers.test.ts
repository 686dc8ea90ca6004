import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/* The README's cloud signers are the files `npm test` type-checks (examples/signers), line for line. */
const root = join(__dirname, '..', '..');

describe("the README's key-vault signers", () => {
  it.each(['aws-kms.ts', 'azure-key-vault.ts'])('%s is in the README as it is type-checked', (file) => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const source = readFileSync(join(root, 'examples', 'signers', file), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${source}\`\`\``);
  });
});
