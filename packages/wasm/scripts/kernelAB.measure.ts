// A/B timing of kernel builds (scripts/compileVariant.mjs) on the same data, interleaved in one
// process: the kernels only (lossRowsF32 on data already in memory), forward and with gradient.
//   KERNELS=/tmp/a.wasm,/tmp/b.wasm MEASURE_SHAPES=typical npx vitest run --config scripts/vitest.measure.config.ts scripts/kernelAB.measure.ts

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { it } from 'vitest';

// Optimised code from the first call (no Liftoff baseline that tiers up in the background
// while the first shape is being measured).
setFlagsFromString('--no-liftoff');

interface Exports {
  heapBase(): number;
  scratchBytes(c: number): number;
  lossRowsF32(...args: number[]): number;
}

const SHAPES: Record<string, [number, number, number]> = {
  small: [32, 10, 2],
  typical: [1024, 1000, 5],
  'big-batch': [65536, 128, 3],
  'many-classes': [256, 10000, 50],
  extreme: [16, 100000, 1000],
};

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

it('kernel variants, interleaved', async () => {
  const files = (process.env.KERNELS ?? '').split(',');
  const kinds = (process.env.MEASURE_DATA ?? 'uniform').split(',');
  const grad = process.env.MEASURE_GRAD === '1';
  const budget = Number(process.env.MEASURE_MS ?? 1500);
  for (const id of (process.env.MEASURE_SHAPES ?? 'typical').split(',')) {
    const [n, c, j] = SHAPES[id]!;
    for (const kind of kinds) {
      const next = mulberry32(n + c + j);
      const x = new Float32Array(n * c);
      for (let i = 0; i < x.length; i++) {
        if (kind === 'uniform') x[i] = next() * 4 - 2;
        else if (kind === 'equal') x[i] = 0.5;
        else if (kind === 'two') x[i] = next() < 0.5 ? 0 : 1;
        else x[i] = Math.floor(next() * 10) - 5;
      }
      const t = new Int32Array(n * c).fill(-1);
      const perm = Int32Array.from({ length: c }, (_, k) => k);
      for (let r = 0; r < n; r++) {
        for (let q = 0; q < j; q++) {
          const k = q + Math.floor(next() * (c - q));
          const v = perm[q]!;
          perm[q] = perm[k]!;
          perm[k] = v;
          t[r * c + q] = perm[q]!;
        }
      }
      const runs = files.map((file) => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
        const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {
          env: { memory },
        });
        const e = instance.exports as unknown as Exports;
        const base = Math.ceil(e.heapBase() / 16) * 16;
        const size = n * c;
        const xp = base;
        const tp = xp + size * 4 + 16;
        const sp = tp + size * 4 + 16;
        const gp = sp + n * 8 + 16;
        const scp = gp + size * 4 + 16;
        const scratch = scp + n * 8 + 16;
        const end = scratch + e.scratchBytes(c) + 16;
        memory.grow(Math.ceil(end / 65536));
        new Float64Array(memory.buffer, scp, n).fill(1);
        const xv = new Float32Array(memory.buffer, xp, size);
        const tv = new Int32Array(memory.buffer, tp, size);
        tv.set(t);
        const sums = new Float64Array(memory.buffer, sp, n);
        return () => {
          xv.set(x); // the kernels lower target positions in their copy
          e.lossRowsF32(
            xp,
            tp,
            0,
            n,
            c,
            sp,
            grad ? gp : 0,
            grad ? scp : 0,
            1 / (n * c),
            scratch,
            Math.min(24, 8 + Math.floor(16000 / c)),
          );
          let s = 0;
          for (let r = 0; r < n; r++) s += sums[r]!;
          return s;
        };
      });
      const values = runs.map((r) => r());
      const once = performance.now();
      runs[0]!();
      const per = Math.max(1, Math.min(100, Math.round(5 / Math.max(0.001, performance.now() - once))));
      const times: number[][] = runs.map(() => []);
      const end = performance.now() + budget;
      while (performance.now() < end || times[0]!.length < 5) {
        runs.forEach((run, i) => {
          const s = performance.now();
          for (let k = 0; k < per; k++) run();
          times[i]!.push((performance.now() - s) / per);
        });
      }
      const med = times.map((ts) => [...ts].sort((a, b) => a - b)[ts.length >> 1]!);
      console.log(
        `${id} ${kind} grad=${grad}: ` +
          med
            .map(
              (m, i) =>
                `${files[i]} ${(m * 1000).toFixed(1)} us (${(m / med[0]!).toFixed(2)}) sum ${values[i]}`,
            )
            .join(' | '),
      );
    }
  }
});
