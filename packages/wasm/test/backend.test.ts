import { isLossError, LossBackend, LossError, validateForward } from '@mlml/core-spec';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWasmReadPass } from '../src/createWasmReadPass.js';
import { createWasmBackend, hasWasmSimd, WASM_CAPABILITIES } from '../src/index.js';
import { instantiateKernels, PAGE_BYTES, type WasmKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';
import { nextFloat32 } from './cases.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createWasmBackend', () => {
  it('is the wasm backend for float32 and float64, deterministic, with its tolerance declared', async () => {
    const backend = await createWasmBackend();
    expect(backend.name).toBe('wasm');
    expect(backend.capabilities.dtypes).toEqual(['float32', 'float64']);
    expect(backend.capabilities.deterministic).toBe(true);
    expect(backend.capabilities.tolerance).toEqual(WASM_CAPABILITIES.tolerance);
    await backend.dispose();
  });

  it('computes the seed example: 0.85 and gradient [-0.5, 0.5, 0.5, -0.5]', async () => {
    const backend = await createWasmBackend();
    const input = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
    const target = { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] };
    const { output, gradInput } = await backend.forwardBackward(input, target);
    expect(output.shape).toEqual([]);
    expect(output.data[0]).toBeCloseTo(0.85, 6);
    expect(Array.from(gradInput.data)).toEqual([-0.5, 0.5, 0.5, -0.5]);
    await backend.dispose();
  });

  it('decides borderline float32 margins exactly as PyTorch: x[d] = -fl(1 - x[y]) counts for nothing', async () => {
    const backend = await createWasmBackend();
    const xy = 0.30000001192092896; // a float32 value
    const border = -Math.fround(1 - xy);
    const above = nextFloat32(border, 1);
    const below = nextFloat32(border, -1);
    const input = { data: new Float32Array([xy, border, above, below, 5]), shape: [5] };
    const target = { data: new Int32Array([0, -1, 0, 0, 0]), shape: [5] };
    const go = { data: new Float32Array([1]), shape: [] };
    const grad = await backend.backward(input, target, go, { reduction: 'sum' });
    // Counted: `above` and 5; not: `border` (term exactly 0) nor `below`.
    expect(Array.from(grad.data)).toEqual([-2 / 5, 0, 1 / 5, 0, 1 / 5].map(Math.fround));
    await backend.dispose();
  });

  it('rejects out-of-range targets anywhere (also after -1) with TARGET_OUT_OF_RANGE and the index', async () => {
    const backend = await createWasmBackend();
    const input = { data: new Float32Array(2 * 40), shape: [2, 40] };
    for (const [index, value] of [
      [79, 40],
      [3, -2],
      [41, 1000],
    ] as const) {
      const t = new Int32Array(80);
      t[1] = -1;
      t[index] = value;
      const call = backend.forward(input, { data: t, shape: [2, 40] });
      await expect(call).rejects.toMatchObject({ code: 'TARGET_OUT_OF_RANGE' });
      await expect(call).rejects.toThrow(`found ${value} at index ${index}`);
    }
    // The range check comes before grad_output's shape check, as in DESIGN §2.
    const bad = new Int32Array(80).fill(50);
    await expect(
      backend.backward(input, { data: bad, shape: [2, 40] }, { data: new Float32Array(3), shape: [3] }),
    ).rejects.toMatchObject({ code: 'TARGET_OUT_OF_RANGE' });
    await backend.dispose();
  });

  it('reads the target as it is at each call (no stale copy after the caller mutates it)', async () => {
    const backend = await createWasmBackend();
    const input = { data: new Float32Array([0.5, 0.1, 0.9, -0.3]), shape: [4] };
    const t = new Int32Array([0, -1, 0, 0]);
    const first = await backend.forward(input, { data: t, shape: [4] }, { reduction: 'sum' });
    t[0] = 2;
    const second = await backend.forward(input, { data: t, shape: [4] }, { reduction: 'sum' });
    // target 0: terms 1-0.5+{0.1,0.9,-0.3} = 0.6+1.4+0.2; target 2: 1-0.9+{0.5,0.1,-0.3} = 0.6+0.2
    expect(first.data[0]).toBeCloseTo(2.2 / 4, 6);
    expect(second.data[0]).toBeCloseTo(0.8 / 4, 6);
    await backend.dispose();
  });

  it('computes a call on this thread before returning (no promise from the kernel), and still rejects rather than throws', async () => {
    const kernel = new WasmLossKernel(await instantiateKernels(64));
    const backend = new LossBackend('wasm', WASM_CAPABILITIES, kernel);
    const input = { data: new Float32Array([0.5, 0.1, 0.9, -0.3]), shape: [4] };
    const target = { data: new Int32Array([0, -1, 0, 0]), shape: [4] };
    const problem = { ...validateForward(input, target, { reduction: 'sum' }), target: target.data };
    const direct = kernel.forward(problem);
    expect(direct).not.toBeInstanceOf(Promise);
    expect((direct as Float32Array)[0]).toBeCloseTo(2.2 / 4, 6);
    // A sync kernel's LossError reaches the caller as a rejected promise, as every backend's does.
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = backend.forward(input, { data: new Int32Array([0, 7, 0, 0]), shape: [4] });
    }).not.toThrow();
    await expect(call).rejects.toMatchObject({ code: 'TARGET_OUT_OF_RANGE' });
  });

  it('fails every call after dispose with BACKEND_DISPOSED', async () => {
    const backend = await createWasmBackend();
    await backend.dispose();
    const call = backend.forward(
      { data: new Float32Array(3), shape: [3] },
      { data: new Int32Array(3), shape: [3] },
    );
    await expect(call).rejects.toMatchObject({ code: 'BACKEND_DISPOSED' });
  });
});

describe('SIMD', () => {
  it('is detected in this engine', () => {
    expect(hasWasmSimd()).toBe(true);
  });

  it('missing SIMD makes initialisation fail with the reason', async () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const attempt = createWasmBackend();
    await expect(attempt).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(attempt).rejects.toThrow(/SIMD/);
  });
});

describe('memory', () => {
  function backendOn(kernels: WasmKernels): LossBackend {
    return new LossBackend('wasm', WASM_CAPABILITIES, new WasmLossKernel(kernels));
  }

  it('stays flat over 10,000 calls of the same and smaller sizes', async () => {
    const kernels = await instantiateKernels();
    const backend = backendOn(kernels);
    const input = { data: new Float32Array(8 * 30).map((_, i) => Math.sin(i)), shape: [8, 30] };
    const targetData = new Int32Array(8 * 30).fill(-1);
    for (let n = 0; n < 8; n++) targetData.set([n, (n * 7) % 30, 29], n * 30);
    const target = { data: targetData, shape: [8, 30] };
    const go = { data: new Float32Array([1]), shape: [] };
    await backend.forwardBackward(input, target, go);
    const start = kernels.memory.buffer.byteLength;
    for (let i = 0; i < 10_000; i++) {
      if (i % 3 === 0) await backend.forward(input, target);
      else if (i % 3 === 1) await backend.forwardBackward(input, target, go);
      else
        await backend.forward(
          { data: input.data.subarray(0, 30), shape: [30] },
          { data: targetData.subarray(0, 30), shape: [30] },
        );
    }
    expect(kernels.memory.buffer.byteLength).toBe(start);
  });

  it('grows only when a call needs more than any call before', async () => {
    const kernels = await instantiateKernels();
    const backend = backendOn(kernels);
    const small = kernels.memory.buffer.byteLength;
    const size = 300_000;
    await backend.forward(
      { data: new Float64Array(size), shape: [size / 100, 100] },
      { data: new Int32Array(size), shape: [size / 100, 100] },
    );
    const grown = kernels.memory.buffer.byteLength;
    expect(grown).toBeGreaterThan(small);
    await backend.forward(
      { data: new Float32Array(100), shape: [1, 100] },
      { data: new Int32Array(100), shape: [1, 100] },
    );
    expect(kernels.memory.buffer.byteLength).toBe(grown);
  });

  it('an input too large for the memory is INPUT_TOO_LARGE, and the backend keeps working', async () => {
    const backend = await createWasmBackend({ maxMemoryPages: 16 }); // 1 MiB
    const size = 1 << 18; // 1 MiB of float32 alone
    const call = backend.forward(
      { data: new Float32Array(size), shape: [size / 64, 64] },
      { data: new Int32Array(size), shape: [size / 64, 64] },
    );
    await expect(call).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    await expect(call).rejects.toThrow(/WebAssembly memory/);
    const ok = await backend.forward(
      { data: new Float32Array([0.1, 0.2]), shape: [2] },
      { data: new Int32Array([1, -1]), shape: [2] },
    );
    expect(ok.data[0]).toBeCloseTo(0.45, 6);
    await backend.dispose();
  });

  it('a memory.grow that fails is INPUT_TOO_LARGE, never a raw RangeError', async () => {
    const real = await instantiateKernels(4);
    // The engine refuses to grow past the memory's own maximum (4 pages) although the arena
    // believes it may use 64: the failure comes from memory.grow itself.
    const kernels: WasmKernels = { ...real, maxBytes: 64 * PAGE_BYTES };
    const backend = backendOn(kernels);
    const size = 200_000;
    let error: unknown;
    try {
      await backend.forward(
        { data: new Float32Array(size), shape: [size / 100, 100] },
        { data: new Int32Array(size), shape: [size / 100, 100] },
      );
    } catch (e) {
      error = e;
    }
    expect(isLossError(error, 'INPUT_TOO_LARGE')).toBe(true);
    expect((error as LossError).cause).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(LossError);
  });
});

describe('createWasmReadPass', () => {
  it('reads every element of input and target (float32 and float64)', async () => {
    const pass = await createWasmReadPass();
    const t = new Int32Array(1003).map((_, i) => (i % 7) - 1);
    const expectedT = t.reduce((a, b) => a + b, 0);
    const x32 = new Float32Array(1003).map((_, i) => (i % 5) * 0.25);
    const x64 = new Float64Array(1003).map((_, i) => (i % 5) * 0.25);
    const expectedX = x64.reduce((a, b) => a + b, 0);
    expect(pass.run(x32, t)).toBe(expectedX + expectedT);
    expect(pass.run(x64, t)).toBe(expectedX + expectedT);
    pass.dispose();
    expect(() => pass.run(x32, t)).toThrow(/disposed/);
  });
});
