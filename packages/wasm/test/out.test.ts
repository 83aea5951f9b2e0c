import { type FloatArray, type ILossBackend, validateBackward, validateForward } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { instantiateKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';
import { random } from './cases.js';

// The `out` option: results are written into the caller's arrays (stale contents overwritten)
// and those same arrays are returned, on one thread and with the rows shared among threads.

function problem(batch: number, classes: number, targets: number, f64: boolean, seed: number) {
  const next = random(seed);
  const x = f64 ? new Float64Array(batch * classes) : new Float32Array(batch * classes);
  for (let i = 0; i < x.length; i++) x[i] = next() * 4 - 2;
  const t = new Int32Array(batch * classes).fill(-1);
  for (let n = 0; n < batch; n++)
    for (let j = 0; j < targets; j++) t[n * classes + j] = Math.floor(next() * classes);
  return {
    input: { data: x as FloatArray, shape: [batch, classes] },
    target: { data: t, shape: [batch, classes] },
  };
}

/** The number of elements where `a` and `b` differ (NaN equals NaN). */
function differences(a: FloatArray, b: FloatArray): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return count;
}

function stale(like: FloatArray, length: number): FloatArray {
  const a = like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
  return a.fill(Number.NaN);
}

describe('out arrays', () => {
  const backends: [string, ILossBackend][] = [];
  beforeAll(async () => {
    backends.push(['1 thread', await createWasmBackend({ threads: 1 })]);
    backends.push(['2 threads', await createWasmBackend({ threads: 2 })]);
  });
  afterAll(async () => {
    for (const [, b] of backends) await b.dispose();
  });

  // 512 x 512 is past the size from which the threaded backend may share rows.
  for (const [batch, classes, targets] of [
    [3, 17, 4],
    [512, 512, 5],
  ] as const) {
    for (const f64 of [false, true]) {
      it(`${batch}x${classes} ${f64 ? 'float64' : 'float32'}: forward, backward and forwardBackward write into out and return it`, async () => {
        const { input, target } = problem(batch, classes, targets, f64, batch + classes);
        for (const [name, backend] of backends) {
          for (const reduction of ['none', 'mean'] as const) {
            const outLength = reduction === 'none' ? batch : 1;
            const gradOutput = {
              data: f64 ? new Float64Array(outLength).fill(0.5) : new Float32Array(outLength).fill(0.5),
              shape: reduction === 'none' ? [batch] : [],
            };
            const fresh = await backend.forwardBackward(input, target, gradOutput, { reduction });

            const output = stale(input.data, outLength);
            const forward = await backend.forward(input, target, { reduction, out: { output } });
            expect(forward.data, name).toBe(output);
            expect(differences(output, fresh.output.data), name).toBe(0);

            const gradInput = stale(input.data, batch * classes);
            const backward = await backend.backward(input, target, gradOutput, {
              reduction,
              out: { gradInput },
            });
            expect(backward.data, name).toBe(gradInput);
            expect(differences(gradInput, fresh.gradInput.data), name).toBe(0);

            const output2 = stale(input.data, outLength);
            const gradInput2 = stale(input.data, batch * classes);
            const both = await backend.forwardBackward(input, target, gradOutput, {
              reduction,
              out: { output: output2, gradInput: gradInput2 },
            });
            expect(both.output.data, name).toBe(output2);
            expect(both.gradInput.data, name).toBe(gradInput2);
            expect(differences(output2, fresh.output.data), name).toBe(0);
            expect(differences(gradInput2, fresh.gradInput.data), name).toBe(0);
          }
        }
      });
    }
  }

  it('the kernel itself writes into the out arrays and returns them (no fresh array for LossBackend to copy)', async () => {
    const kernel = new WasmLossKernel(await instantiateKernels());
    const { input, target } = problem(4, 9, 3, false, 7);
    const output = new Float32Array(4);
    const gradInput = new Float32Array(36);
    const gradOutput = { data: new Float32Array(4).fill(1), shape: [4] };
    const options = { reduction: 'none' as const, out: { output, gradInput } };
    expect(await kernel.forward(validateForward(input, target, options))).toBe(output);
    const backwardProblem = validateBackward(input, target, gradOutput, options);
    expect(await kernel.backward(backwardProblem)).toBe(gradInput);
    const both = await kernel.forwardBackward(backwardProblem);
    expect(both.output).toBe(output);
    expect(both.gradInput).toBe(gradInput);
  });
});
