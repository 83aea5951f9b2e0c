import type { FloatArray, ILossBackend, Reduction } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { random } from './cases.js';

// The kernel keeps its last memory layout, with views on it, and reuses it while calls keep their
// sizes (CallLayout; a gradient call's layout serves forward calls too). Calls of other sizes,
// dtypes or kinds in between, and a memory that grew, must never leave a call on a stale layout:
// every result here equals a fresh backend's to the bit.

interface Call {
  readonly batch: number;
  readonly classes: number;
  readonly f64: boolean;
  readonly gradient: boolean;
  readonly reduction: Reduction;
}

function makeInput(call: Call, seed: number) {
  const next = random(seed);
  const size = call.batch * call.classes;
  const x = call.f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = next() * 4 - 2;
  const t = new Int32Array(size).fill(-1);
  for (let n = 0; n < call.batch; n++) {
    for (let j = 0; j < Math.min(3, call.classes); j++)
      t[n * call.classes + j] = Math.floor(next() * call.classes);
  }
  return {
    input: { data: x as FloatArray, shape: [call.batch, call.classes] },
    target: { data: t, shape: [call.batch, call.classes] },
  };
}

async function run(backend: ILossBackend, call: Call, seed: number): Promise<string> {
  const { input, target } = makeInput(call, seed);
  const options = { reduction: call.reduction };
  if (!call.gradient) return Array.from((await backend.forward(input, target, options)).data).join();
  const { output, gradInput } = await backend.forwardBackward(input, target, undefined, options);
  return `${Array.from(output.data).join()}|${Array.from(gradInput.data).join()}`;
}

const SMALL: Call = { batch: 32, classes: 10, f64: false, gradient: false, reduction: 'none' };
const SEQUENCE: readonly Call[] = [
  SMALL,
  SMALL,
  { ...SMALL, gradient: true },
  SMALL,
  { ...SMALL, gradient: true, reduction: 'mean' },
  { ...SMALL, batch: 31 },
  { ...SMALL, batch: 31, gradient: true },
  { ...SMALL, f64: true },
  SMALL,
  // Grows the memory: the views of the small layouts are detached.
  { batch: 2048, classes: 1000, f64: false, gradient: true, reduction: 'sum' },
  SMALL,
  { ...SMALL, gradient: true },
  { ...SMALL, classes: 9, batch: 35 },
  { ...SMALL, classes: 12 },
  { ...SMALL, classes: 8 },
  SMALL,
];

describe('layouts kept between calls', () => {
  let kept: ILossBackend;
  beforeAll(async () => {
    kept = await createWasmBackend({ threads: 1 });
  });
  afterAll(async () => {
    await kept.dispose();
  });

  it('give every call of a mixed sequence (sizes, dtypes, gradient or not, a memory that grows) the results of a fresh backend', async () => {
    for (const [i, call] of SEQUENCE.entries()) {
      const fresh = await createWasmBackend({ threads: 1 });
      try {
        expect(await run(kept, call, 100 + i), `call ${i}`).toBe(await run(fresh, call, 100 + i));
      } finally {
        await fresh.dispose();
      }
    }
  });
});
