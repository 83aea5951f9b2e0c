#!/usr/bin/env node
// cpu-ts forward against the bench's JS read pass, interleaved in one process: per shape, blocks of
// calls alternate between the read pass and cpu-ts forward on uniform and tie-heavy data; each
// figure is the median of its blocks. Run after `pnpm --filter @mlml/cpu-ts build` (and the bench's
// build): `node packages/cpu-ts/scripts/readPassRatio.mjs [--seconds S] [--shapes id,id] [--data
// uniform,two-values] [--dist DIR]`. `--dist` times another build of cpu-ts (a directory with its
// index.js), e.g. an older commit's, for before/after figures: run each build in its own process
// (two builds in one process slow each other down in V8).
import { generateData } from '../../../bench/dist/generateData.js';
import { createJsReadPass } from '../../../bench/dist/readPass.js';
import { GRID_SHAPES } from '../../../bench/dist/shapes.js';

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
};
const seconds = Number(flag('--seconds', '6'));
const shapeIds = flag('--shapes', GRID_SHAPES.map((s) => s.id).join(',')).split(',');
const variants = flag('--data', 'uniform,all-equal,two-values,small-integers').split(',');
const dist = flag('--dist', new URL('../dist', import.meta.url).pathname);
const { createCpuTsBackend } = await import(`${dist}/index.js`);

/** Tie-heavy versions of the uniform input (same targets). */
function variantInput(uniform, kind) {
  const data = new Float32Array(uniform.length);
  for (let i = 0; i < data.length; i++) {
    const u = uniform[i]; // uniform in [-2, 2)
    if (kind === 'uniform') data[i] = u;
    else if (kind === 'all-equal') data[i] = 0.25;
    else if (kind === 'two-values') data[i] = u < 0 ? 0 : 1;
    else if (kind === 'small-integers') data[i] = Math.floor(u * 2); // -4..3
  }
  return data;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

const backend = createCpuTsBackend();
const pass = createJsReadPass();
for (const shape of GRID_SHAPES.filter((s) => shapeIds.includes(s.id))) {
  const base = generateData(shape, 'float32');
  const tasks = [{ name: 'read-pass', run: () => pass.run(base.input.data, base.target.data) }];
  for (const kind of variants) {
    const input = { data: variantInput(base.input.data, kind), shape: base.input.shape };
    tasks.push({ name: kind, run: () => backend.forward(input, base.target, { reduction: 'mean' }) });
  }
  // Calibrate: calls per block so that a block takes ~20 ms.
  const perBlock = [];
  for (const task of tasks) {
    await task.run();
    const t0 = performance.now();
    await task.run();
    const once = performance.now() - t0;
    perBlock.push(Math.max(1, Math.round(20 / Math.max(once, 0.001))));
  }
  const samples = tasks.map(() => []);
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let t = 0; t < tasks.length; t++) {
      const n = perBlock[t];
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await tasks[t].run();
      samples[t].push((performance.now() - t0) / n);
    }
  }
  const read = median(samples[0]);
  const parts = tasks.map((task, t) => {
    const m = median(samples[t]);
    return t === 0 ? `read ${m.toFixed(4)} ms` : `${task.name} ${(m / read).toFixed(2)}x`;
  });
  const uniform = median(samples[1]);
  const ties = tasks
    .slice(2)
    .map((task, t) => `${task.name}/uniform ${(median(samples[t + 2]) / uniform).toFixed(2)}`);
  console.log(`${shape.id} (${samples[0].length} blocks): ${parts.join(', ')} | ${ties.join(', ')}`);
}
await backend.dispose();
