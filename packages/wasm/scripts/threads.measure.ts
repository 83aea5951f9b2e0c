// The wasm backend's thread placement, interleaved in one process: blocks of calls of each
// variant in turn, the median of the blocks' per-call times. Run:
//   npx vitest run --config scripts/vitest.measure.config.ts scripts/threads.measure.ts
// MEASURE_SHAPES=typical,extreme narrows it down; MEASURE_BLOCKS (default 9) and
// MEASURE_ORDER=reverse (threads: 1 first in each block) vary the blocks.
import type { ILossBackend } from '@mlml/core-spec';
import { it } from 'vitest';
import { createWasmBackend } from '../src/index.js';

const SHAPES = [
  ['small', 32, 10, 2],
  ['typical', 1024, 1000, 5],
  ['big-batch', 65536, 128, 3],
  ['many-classes', 256, 10000, 50],
  ['extreme', 16, 100000, 1000],
] as const;
const BLOCKS = Number(process.env.MEASURE_BLOCKS ?? 9);
const BLOCK_MS = 120;

function problem(batch: number, classes: number, targets: number) {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const input = new Float32Array(batch * classes);
  for (let i = 0; i < input.length; i++) input[i] = next() * 2 - 1;
  const target = new Int32Array(batch * classes).fill(-1);
  const perm = Int32Array.from({ length: classes }, (_, i) => i);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < targets; j++) {
      const k = j + Math.floor(next() * (classes - j));
      [perm[j], perm[k]] = [perm[k]!, perm[j]!];
      target[n * classes + j] = perm[j]!;
    }
  }
  return [
    { data: input, shape: [batch, classes] },
    { data: target, shape: [batch, classes] },
  ] as const;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function interleaved(
  variants: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (const [name, call] of Object.entries(variants)) {
    times[name] = [];
    for (let i = 0; i < 12; i++) await call(); // warm-up (and the measured policy's probes)
  }
  for (let b = 0; b < BLOCKS; b++) {
    for (const [name, call] of Object.entries(variants)) {
      let calls = 0;
      const start = performance.now();
      while (performance.now() - start < BLOCK_MS || calls < 3) {
        await call();
        calls++;
      }
      times[name]!.push((performance.now() - start) / calls);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
}

it('default against threads: 1, every bench shape', async () => {
  const only = process.env.MEASURE_SHAPES?.split(',');
  const byDefault = await createWasmBackend();
  const one = await createWasmBackend({ threads: 1 });
  const rows: string[] = [];
  for (const [id, n, c, j] of SHAPES) {
    if (only !== undefined && !only.includes(id)) continue;
    const [x, y] = problem(n, c, j);
    for (const op of ['forward', 'forwardBackward'] as const) {
      const call = (b: ILossBackend) => () => (op === 'forward' ? b.forward(x, y) : b.forwardBackward(x, y));
      const variants: Record<string, () => Promise<unknown>> = {
        default: call(byDefault),
        'threads-1': call(one),
      };
      const m = await interleaved(variants);
      const cells = Object.entries(m).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} µs`);
      rows.push(
        `${id} ${op}: ${cells.join(', ')}; default/threads-1 = ${(m.default! / m['threads-1']!).toFixed(3)}`,
      );
      console.log(rows.at(-1));
    }
  }
  await byDefault.dispose();
  await one.dispose();
  console.log(rows.join('\n'));
});
