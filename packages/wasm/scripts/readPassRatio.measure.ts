// Single-threaded wasm forward against the single-threaded wasm read pass, interleaved in one
// process: blocks of calls of each in turn, the median of the blocks' per-call times, and their
// ratio. Uniform data as the bench makes it, and tie-heavy data. Run:
//   npx vitest run --config scripts/vitest.measure.config.ts scripts/readPassRatio.measure.ts
// MEASURE_SHAPES=typical,extreme and MEASURE_DATA=uniform,equal,two,ints narrow it down.
import { setFlagsFromString } from 'node:v8';
import type { ILossBackend } from '@mlml/core-spec';
import { it } from 'vitest';

// Optimised code from the first call (no Liftoff baseline that tiers up in the background
// while the first shape is being measured).
setFlagsFromString('--no-liftoff');

import { createWasmReadPass } from '../src/createWasmReadPass.js';
import { createWasmBackend } from '../src/index.js';

const SHAPES = [
  ['small', 32, 10, 2],
  ['typical', 1024, 1000, 5],
  ['big-batch', 65536, 128, 3],
  ['many-classes', 256, 10000, 50],
  ['extreme', 16, 100000, 1000],
] as const;
const DATA = ['uniform', 'equal', 'two', 'ints'] as const;
type DataKind = (typeof DATA)[number];

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** N x C float32 input of the given kind and J distinct random targets per row. */
function makeData(batch: number, classes: number, targets: number, kind: DataKind) {
  const next = mulberry32(batch * 7919 + classes * 31 + targets);
  const input = new Float32Array(batch * classes);
  for (let i = 0; i < input.length; i++) {
    if (kind === 'uniform') input[i] = next() * 4 - 2;
    else if (kind === 'equal') input[i] = 0.5;
    else if (kind === 'two') input[i] = next() < 0.5 ? 0 : 1;
    else input[i] = Math.floor(next() * 10) - 5;
  }
  const target = new Int32Array(batch * classes).fill(-1);
  const perm = Int32Array.from({ length: classes }, (_, c) => c);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < targets; j++) {
      const k = j + Math.floor(next() * (classes - j));
      const t = perm[j]!;
      perm[j] = perm[k]!;
      perm[k] = t;
      target[n * classes + j] = perm[j]!;
    }
  }
  return { input, target };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Interleaved blocks of every task in turn; per-call medians over the blocks. */
async function interleave(tasks: readonly (() => unknown)[], budgetMs: number): Promise<number[]> {
  const t0 = performance.now();
  for (const task of tasks) await task();
  const once = Math.max((performance.now() - t0) / tasks.length, 0.001);
  const per = Math.max(1, Math.min(200, Math.round(5 / once)));
  const times: number[][] = tasks.map(() => []);
  const end = performance.now() + budgetMs;
  while (performance.now() < end || times[0]!.length < 5) {
    for (const [i, task] of tasks.entries()) {
      const s = performance.now();
      for (let k = 0; k < per; k++) await task();
      times[i]!.push((performance.now() - s) / per);
    }
  }
  return times.map(median);
}

it('wasm forward (1 thread) against the read pass, interleaved', async () => {
  const only = process.env.MEASURE_SHAPES?.split(',');
  const kinds = (process.env.MEASURE_DATA?.split(',') ?? DATA) as DataKind[];
  const budget = Number(process.env.MEASURE_MS ?? 1500);
  const backend: ILossBackend = await createWasmBackend({ threads: 1 });
  const pass = await createWasmReadPass();
  const lines: string[] = [];
  for (const [id, n, c, j] of SHAPES) {
    if (only !== undefined && !only.includes(id)) continue;
    // For each kind of data, the read pass and the forward on it, in turn (each block runs its
    // calls back to back, so both see the data equally warm).
    const data = kinds.map((kind) => makeData(n, c, j, kind));
    const tasks = data.flatMap(({ input, target }) => [
      () => pass.run(input, target),
      () => backend.forward({ data: input, shape: [n, c] }, { data: target, shape: [n, c] }),
    ]);
    const times = await interleave(tasks, budget * kinds.length);
    for (const [i, kind] of kinds.entries()) {
      const read = times[2 * i]!;
      const f = times[2 * i + 1]!;
      const line = `${id.padEnd(13)} ${kind.padEnd(8)} forward ${(f * 1000).toFixed(1).padStart(9)} us  read ${(read * 1000).toFixed(1).padStart(9)} us  ratio ${(f / read).toFixed(2)}  vs uniform ${(f / times[1]!).toFixed(2)}`;
      lines.push(line);
    }
  }
  pass.dispose();
  await backend.dispose();
  console.log(lines.join('\n'));
});
