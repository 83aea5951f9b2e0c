#!/usr/bin/env node
// Usage: node scripts/with-build.mjs <pkg>[,<pkg>...] <script.mjs> [args...]
// Builds the named packages and their dependencies with turbo (cached: quick when nothing changed),
// quietly unless the build fails, then runs the script with the remaining arguments. Build output
// never reaches stdout, so `pnpm --silent mlml run ... > results.json` stays clean JSON.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [packages, script, ...args] = process.argv.slice(2);
if (!packages || !script) {
  console.error('usage: node scripts/with-build.mjs <pkg>[,<pkg>...] <script> [args...]');
  process.exit(2);
}
const filters = packages.split(',').map((name) => `--filter=${name}...`);
const build = spawnSync(
  join(root, 'node_modules/.bin/turbo'),
  ['run', 'build', ...filters, '--output-logs=errors-only', '--log-order=grouped'],
  { cwd: root, encoding: 'utf8' },
);
if (build.status !== 0) {
  process.stderr.write(build.stdout ?? '');
  process.stderr.write(build.stderr ?? '');
  console.error(`build failed (exit ${build.status ?? build.signal}); fix it, then run again`);
  process.exit(1);
}
const run = spawnSync(process.execPath, [join(root, script), ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
