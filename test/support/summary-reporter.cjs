// Mocha's spec reporter, plus one closing line "N passed, N failed, N skipped"
// that CI counts.
//
// When scripts/test.sh runs several mocha runs (the main suite, then the
// libreswan 5.2 / 5.4 matrix), it sets CABLED_SUMMARY_FILE: each run then
// appends its counts (and the title and first error line of each failed test,
// so that the end of a long log still names them) there as one JSON line and prints a labelled line
// ("<CABLED_SUMMARY_LABEL>: N tests passed, N failed, N skipped") instead, and
// test.sh prints the one closing "N passed, N failed, N skipped" line: the sum.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on('fail', (test, err) => {
      const first = String(err?.message || err)
        .split('\n')[0]
        .slice(0, 300);
      failed.push({ title: test.fullTitle().slice(0, 300), error: first });
    });
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats;
      const file = process.env.CABLED_SUMMARY_FILE;
      if (!file) {
        process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
        return;
      }
      const label = process.env.CABLED_SUMMARY_LABEL || 'tests';
      fs.appendFileSync(file, `${JSON.stringify({ label, passes, failures, pending, failed })}\n`);
      process.stdout.write(`\n${label}: ${passes} tests passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
