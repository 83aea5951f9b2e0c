// forwardBackward with caller-owned `out` arrays against forward, interleaved in one process
// (blocks of calls of each in turn, medians of the blocks), on one thread and on the default
// (threaded) backend; forwardBackward without `out` for comparison. Run:
//   npx vitest run --config scripts/vitest.measure.config.ts scripts/outRatio.measure.ts
import { setFlagsFromString } from 'node:v8';
import type { ILossBackend } from '@mlml/core-spec';
import { it } from 'vitest';

// Optimised code from the first call (no Liftoff baseline that tiers up in the background
// while the first shape is being measured).
setFlagsFromString('--no-liftoff');

import { createWasmBackend } from '../src/index.js';

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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

it('forwardBackward with out against forward', async () => {
  const budget = Number(process.env.MEASURE_MS ?? 3000);
  for (const threads of [1, undefined]) {
    const backend: ILossBackend = await createWasmBackend(threads === undefined ? {} : { threads });
    for (const [n, c, j] of [
      [65536, 128, 3],
      [1024, 1000, 5],
    ] as const) {
      const next = mulberry32(n + c);
      const x = new Float32Array(n * c).map(() => next() * 4 - 2);
      const t = new Int32Array(n * c).fill(-1);
      for (let r = 0; r < n; r++) for (let q = 0; q < j; q++) t[r * c + q] = Math.floor(next() * c);
      const input = { data: x, shape: [n, c] };
      const target = { data: t, shape: [n, c] };
      const out = { output: new Float32Array(1), gradInput: new Float32Array(n * c) };
      const tasks = [
        () => backend.forward(input, target),
        () => backend.forwardBackward(input, target, undefined, { out }),
        () => backend.forwardBackward(input, target),
      ];
      for (const task of tasks) await task();
      const times: number[][] = tasks.map(() => []);
      const end = performance.now() + budget;
      while (performance.now() < end || times[0]!.length < 7) {
        for (const [i, task] of tasks.entries()) {
          const s = performance.now();
          for (let k = 0; k < 3; k++) await task();
          times[i]!.push((performance.now() - s) / 3);
        }
      }
      const [f, fbOut, fb] = times.map(median) as [number, number, number];
      console.log(
        `threads ${backend.capabilities.threads} ${n}x${c} J=${j}: forward ${f.toFixed(2)} ms, ` +
          `fwd+bwd with out ${fbOut.toFixed(2)} ms (${(fbOut / f).toFixed(2)}x), without ${fb.toFixed(2)} ms (${(fb / f).toFixed(2)}x)`,
      );
    }
    await backend.dispose();
  }
});
