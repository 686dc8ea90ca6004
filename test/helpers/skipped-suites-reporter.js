// A jest reporter that ends the run with what was skipped for want of a machine requirement
// (suites declared with describeWith, test/helpers/requirements.ts), so a green run on a machine
// without redis-server or softhsm2 says plainly what it did not test.
const TAG = /\[skipped: (.+)\]$/;

class SkippedSuitesReporter {
  onRunComplete(_contexts, results) {
    const byReason = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending') continue;
        const reason = test.ancestorTitles.map((title) => TAG.exec(title)?.[1]).find(Boolean);
        if (!reason) continue;
        const entry = byReason.get(reason) ?? { tests: 0, files: new Set() };
        entry.tests += 1;
        entry.files.add(require('node:path').relative(process.cwd(), file.testFilePath));
        byReason.set(reason, entry);
      }
    }
    for (const [reason, { tests, files }] of byReason) {
      // eslint-disable-next-line no-console -- a reporter prints
      console.log(`\nSkipped ${tests} tests in ${files.size} files: ${reason}\n  ${[...files].sort().join('\n  ')}`);
    }
  }
}

module.exports = SkippedSuitesReporter;
