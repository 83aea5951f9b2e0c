#!/usr/bin/env node
// `pnpm start`, the main job: which backends run here, the conformance matrix on every backend,
// and a quick speed comparison (the benchmark's --quick mode, PyTorch included when present).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (title, file, args) => {
  console.log(`\n=== ${title} ===`);
  return (
    spawnSync(process.execPath, [join(root, file), ...args], { cwd: root, stdio: 'inherit' }).status ?? 1
  );
};

const build = spawnSync(
  join(root, 'node_modules/.bin/turbo'),
  ['run', 'build', '--output-logs=errors-only'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (build.status !== 0) process.exit(1);

const mlml = 'packages/loss/bin/mlml.js';
step('backends available here', mlml, ['backends']);
const conformance = step('conformance, every backend', mlml, ['conformance', '--backend', 'all']);
const bench = step('speed (pnpm bench --quick)', 'bench/bin/bench.mjs', [
  '--quick',
  ...process.argv.slice(2),
]);
process.exit(conformance !== 0 || bench !== 0 ? 1 : 0);
