import { type FloatArray, type ILossBackend, isLossError, LossBackend, type Tensor } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';
import { ProxyLossKernel } from '../src/ProxyLossKernel.js';
import { HERE_MAX_ELEMENTS, ThreadPolicy } from '../src/ThreadPolicy.js';
import { instantiateKernels, type WasmKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';
import { WorkerTeam } from '../src/WorkerTeam.js';
import { random } from './cases.js';

/**
 * N x C rows with `targets(n)` targets each (default 1 + (n mod 40)), and a valid value after
 * each row's -1.
 */
function problem(seed: number, batch: number, classes: number, targets = (n: number) => 1 + (n % 40)) {
  const next = random(seed);
  const input = new Float32Array(batch * classes).map(() => next() * 4 - 2);
  const target = new Int32Array(batch * classes).fill(-1);
  for (let n = 0; n < batch; n++) {
    const j = targets(n);
    for (let k = 0; k < j && k < classes; k++) target[n * classes + k] = Math.floor(next() * classes);
    if (j + 1 < classes) target[n * classes + j + 1] = Math.floor(next() * classes);
  }
  return [
    { data: input, shape: [batch, classes] },
    { data: target, shape: [batch, classes] },
  ] as [Tensor<FloatArray>, Tensor<Int32Array>];
}

/** The exact bytes of `data` (with its type), as a string: quick to compare, bit for bit. */
function bits(data: FloatArray): string {
  return `${data.constructor.name}:${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}

/** Resolves `call` and says whether a timer scheduled right after the call ran before it settled. */
async function timerRanDuring<T>(call: () => Promise<T>): Promise<{ value: T; ticked: boolean }> {
  let ticked = false;
  const pending = call();
  setTimeout(() => {
    ticked = true;
  }, 0);
  const value = await pending;
  return { value, ticked };
}

describe('off the calling thread (callingThreadComputes: false, as on a browser page)', () => {
  let single: ILossBackend;
  let offloaded: ILossBackend;
  let proxied: ILossBackend;

  beforeAll(async () => {
    single = await createWasmBackend({ threads: 1 });
    offloaded = await createWasmBackend({ threads: 2, callingThreadComputes: false });
    // The path of a page without SharedArrayBuffer: one proxy worker with its own memory.
    const kernels = await instantiateKernels();
    proxied = new LossBackend('wasm', WASM_CAPABILITIES, await ProxyLossKernel.start(kernels, 65_536));
  });

  afterAll(async () => {
    await single.dispose();
    await offloaded.dispose();
    await proxied.dispose();
  });

  it('computes on workers only: every thread it counts is a worker', () => {
    expect(offloaded.capabilities.threads).toBe(2);
    expect(offloaded.capabilities.notes).toBeUndefined();
  });

  it('gives bit-identical results to one thread, forward, backward and fused, small and large', async () => {
    for (const [seed, batch, classes] of [
      [1, 8, 100], // 800 elements: computed on the calling thread
      [2, 640, 400], // 256,000: workers
      [3, 40, 2_000],
    ] as const) {
      const [x, y] = problem(seed, batch, classes);
      for (const reduction of ['none', 'mean', 'sum'] as const) {
        const expected = await single.forwardBackward(x, y, undefined, { reduction });
        const expectedForward = await single.forward(x, y, { reduction });
        const gradOutput = { data: new Float32Array([-0.75]), shape: [] };
        const expectedBackward =
          reduction === 'none' ? undefined : await single.backward(x, y, gradOutput, { reduction });
        for (const backend of [offloaded, proxied]) {
          const fused = await backend.forwardBackward(x, y, undefined, { reduction });
          expect(bits(fused.output.data)).toEqual(bits(expected.output.data));
          expect(bits(fused.gradInput.data)).toEqual(bits(expected.gradInput.data));
          expect(bits((await backend.forward(x, y, { reduction })).data)).toEqual(bits(expectedForward.data));
          if (expectedBackward !== undefined) {
            const grad = await backend.backward(x, y, gradOutput, { reduction });
            expect(bits(grad.data)).toEqual(bits(expectedBackward.data));
          }
        }
      }
    }
  });

  it('computes no row of a large problem on the calling thread (only small ones)', async () => {
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, 2);
    // This thread's instance, with its row kernel counted (the workers have their own instances).
    let rowsHere = 0;
    const counted: WasmKernels = {
      ...kernels,
      exports: {
        ...kernels.exports,
        lossRowsF32: (...args: Parameters<typeof kernels.exports.lossRowsF32>) => {
          rowsHere += args[3];
          return kernels.exports.lossRowsF32(...args);
        },
      },
    };
    const policy = new ThreadPolicy({ callingThreadComputes: false });
    const kernel = new WasmLossKernel(counted, undefined, team, policy);
    const backend = new LossBackend('wasm', WASM_CAPABILITIES, kernel);
    try {
      expect(kernel.threads).toBe(2);
      const [x, y] = problem(4, 300, 1_000);
      expect(300 * 1_000).toBeGreaterThan(HERE_MAX_ELEMENTS);
      const expected = await single.forwardBackward(x, y);
      const expectedForward = await single.forward(x, y);
      for (let i = 0; i < 3; i++) {
        const result = await backend.forwardBackward(x, y);
        expect(bits(result.gradInput.data)).toEqual(bits(expected.gradInput.data));
        expect(bits((await backend.forward(x, y)).data)).toEqual(bits(expectedForward.data));
      }
      expect(rowsHere).toBe(0);
      const [sx, sy] = problem(5, 10, 100);
      await backend.forward(sx, sy);
      expect(rowsHere).toBe(10);
    } finally {
      await backend.dispose();
    }
  });

  it('leaves the event loop free while the proxy worker computes a large call, where one thread blocks it', async () => {
    // Rows of 800 targets: computing takes far longer than the copy made at call time.
    const [x, y] = problem(4, 64, 20_000, () => 800);
    expect(64 * 20_000).toBeGreaterThan(HERE_MAX_ELEMENTS);
    const expected = await single.forwardBackward(x, y);
    expect((await timerRanDuring(() => single.forwardBackward(x, y))).ticked).toBe(false);
    const { value, ticked } = await timerRanDuring(() => proxied.forwardBackward(x, y));
    expect(ticked).toBe(true);
    expect(bits(value.gradInput.data)).toEqual(bits(expected.gradInput.data));
  });

  it('reads the inputs when the call is made, and names the value it read when a target is out of range', async () => {
    const [x, y] = problem(5, 300, 500);
    const expected = bits((await single.forward(x, y, { reduction: 'none' })).data);
    for (const backend of [offloaded, proxied]) {
      const input = x.data.slice();
      const target = y.data.slice();
      const calls = [1, 2, 3].map(() =>
        backend.forward(
          { data: input, shape: x.shape },
          { data: target, shape: y.shape },
          { reduction: 'none' },
        ),
      );
      input.fill(0);
      target.fill(-1);
      for (const call of calls) expect(bits((await call).data)).toEqual(expected);
      const bad = y.data.slice();
      const index = 250 * 500 + 3;
      bad[index] = 500;
      const failing = backend.forward(x, { data: bad, shape: y.shape });
      bad[index] = 4;
      await expect(failing).rejects.toThrow(`found 500 at index ${index},`);
    }
  });
});

describe('the proxy worker kernel', () => {
  it('settles (never hangs) calls in flight when its worker is terminated, then computes here', async () => {
    const kernels = await instantiateKernels();
    const kernel = await ProxyLossKernel.start(kernels, 65_536);
    const backend = new LossBackend('wasm', WASM_CAPABILITIES, kernel);
    // Heavy rows (800 targets): the worker is still computing the first call when it is stopped.
    const [x, y] = problem(6, 64, 20_000, () => 800);
    const calls = [backend.forward(x, y), backend.forwardBackward(x, y), backend.forward(x, y)];
    await kernel.dispose(); // the worker is terminated with the calls in it
    const settled = await Promise.allSettled(calls);
    // A call the worker answered before it stopped has its result; the others reject.
    expect(settled.at(-1)?.status).toBe('rejected');
    for (const result of settled) {
      const reason = result.status === 'rejected' ? result.reason : undefined;
      if (result.status === 'rejected')
        expect(isLossError(reason) && reason.code).toBe('BACKEND_UNAVAILABLE');
    }
    const reference = await createWasmBackend({ threads: 1 });
    expect(bits((await kernel.forward({ ...flat(x, y) })) as FloatArray)).toEqual(
      bits((await reference.forward(x, y)).data),
    );
    await reference.dispose();
  });
});

/** The kernel's problem form of a mean forward call. */
function flat(x: Tensor<FloatArray>, y: Tensor<Int32Array>) {
  const [batch, classes] = x.shape as [number, number];
  return {
    dtype: 'float32' as const,
    input: x.data,
    target: y.data,
    batch,
    classes,
    reduction: 'mean' as const,
    inputShape: [batch, classes],
    outputShape: [],
  };
}
