#!/usr/bin/env node
// `pnpm test`: lint, typecheck and every package's tests through turbo (all of them, even after a
// failure), then one summary of the vitest reports: a line per package and `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Every workspace package with a test script (pnpm-workspace.yaml's globs), so a new package's
// report is summed without editing this list.
const packages = [
  ...readdirSync(join(root, 'packages')).map((name) => `packages/${name}`),
  'conformance',
  'bench',
  'playground',
  'fuzz',
].filter((dir) => {
  const manifest = join(root, dir, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test !== undefined;
});
const reportOf = (dir) => join(root, dir, '.test-report.json');
for (const dir of packages) rmSync(reportOf(dir), { force: true });

const turbo = spawnSync(
  join(root, 'node_modules/.bin/turbo'),
  ['run', 'lint', 'typecheck', 'test', '--continue', '--concurrency=2', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

// Every published package's pending changes are described by changesets (.changeset/README.md).
const changesets = spawnSync(join(root, 'node_modules/.bin/changeset'), ['status'], {
  cwd: root,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const dir of packages) {
  if (!existsSync(reportOf(dir))) {
    failed += 1;
    lines.push(`${dir}: no test report (its test task did not run to the end)`);
    continue;
  }
  const report = JSON.parse(readFileSync(reportOf(dir), 'utf8'));
  const fileFailures = report.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
  passed += report.numPassedTests;
  failed += report.numFailedTests + fileFailures;
  skipped += report.numPendingTests + report.numTodoTests;
  lines.push(
    `${dir}: ${report.numPassedTests} passed, ${report.numFailedTests + fileFailures} failed` +
      (report.numPendingTests ? `, ${report.numPendingTests} skipped` : ''),
  );
}
console.log('\n== test summary ==');
for (const line of lines) console.log(line);
if (turbo.status !== 0)
  console.log(`turbo exited with ${turbo.status}: lint, typecheck or a test task failed (see above)`);
if (changesets.status !== 0)
  console.log('changeset status failed: a changed package has no changeset (see above)');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(turbo.status !== 0 || failed > 0 || changesets.status !== 0 ? 1 : 0);
