import { type GpuTensor, isLossError, type LossOptions } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGpu } from '../src/gpuProvider.node.ts';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.ts';
import { expectClose, randomProblem, referenceOf } from './helpers.ts';

// GPUBufferUsage values (the spec's), without relying on Dawn's globals.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

let device: GPUDevice;
let backend: WebGpuBackend;
let chunked: WebGpuBackend;
beforeAll(async () => {
  const adapter = await (await loadGpu()).requestAdapter();
  device = await (adapter as GPUAdapter).requestDevice();
  backend = await createWebGpuBackend({ device });
  // 40 kB bindings: chunks of 32 rows (starts at 256-byte aligned offsets in the caller’s buffers).
  chunked = await createWebGpuBackend({ device, limits: { maxStorageBufferBindingSize: 40_000 } });
});
afterAll(async () => {
  await chunked?.dispose();
  await backend?.dispose();
  device?.destroy();
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(new Float32Array(a).buffer));

/** A GpuTensor made the way a caller would: a STORAGE buffer of the caller's device, filled. */
function onGpu(
  data: Float32Array | Int32Array,
  shape: readonly number[],
  extraBytes = 0,
): GpuTensor<GPUBuffer> {
  const buffer = device.createBuffer({
    size: data.byteLength + extraBytes,
    usage: STORAGE | COPY_DST | COPY_SRC,
  });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return { buffer, shape: [...shape], dtype: data instanceof Float32Array ? 'float32' : 'int32' };
}

async function readBack(tensor: GpuTensor<GPUBuffer>): Promise<Float32Array> {
  const length = tensor.shape.reduce((a, b) => a * b, 1);
  const read = device.createBuffer({ size: Math.max(4, length * 4), usage: MAP_READ | COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(tensor.buffer, 0, read, 0, length * 4);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(0x1);
  const values = new Float32Array(read.getMappedRange(0, length * 4)).slice();
  read.destroy();
  return values;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

/** Values on a 1/8 grid: every term and sum is exact, so the reference's double result rounds to the same float. */
function dyadicProblem(batch: number, classes: number, targets: number, seed: number) {
  const problem = randomProblem(batch, classes, targets, seed);
  const data = problem.input.data.map((v) => Math.round(v * 8) / 8);
  return { input: { data, shape: problem.input.shape }, target: problem.target };
}

describe('GPU-resident tensors on the caller’s device', () => {
  it('GpuTensor input and target give the typed-array results bit for bit (results on the CPU)', async () => {
    for (const b of [backend, chunked]) {
      const { input, target } = randomProblem(70, 50, 4, 31); // three chunks of `chunked`
      const x = onGpu(input.data, input.shape);
      const y = onGpu(target.data, target.shape);
      for (const options of [{ reduction: 'none' }, { reduction: 'sum' }, {}] as LossOptions[]) {
        const typed = await b.forwardBackward(input, target, undefined, options);
        const resident = await b.forwardBackward(x, y, undefined, options);
        expect(bits(resident.output.data)).toEqual(bits(typed.output.data));
        expect(bits(resident.gradInput.data)).toEqual(bits(typed.gradInput.data));
        const mixed = await b.forward(x, target, options);
        expect(bits(mixed.data)).toEqual(bits(typed.output.data));
      }
      x.buffer.destroy();
      y.buffer.destroy();
    }
  });

  it("outputLocation 'gpu-buffer' returns caller-owned GpuTensors equal to the CPU reference", async () => {
    const { input, target } = dyadicProblem(40, 30, 5, 17);
    const x = onGpu(input.data, input.shape);
    const y = onGpu(target.data, target.shape);
    for (const b of [backend, chunked]) {
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        const expected = referenceOf({ input, target, options: { reduction } });
        const options = { reduction, outputLocation: 'gpu-buffer' } as const;
        const loss = await b.forward(x, y, options);
        expect(loss.dtype).toBe('float32');
        expect(loss.shape).toEqual(reduction === 'none' ? [40] : []);
        expect(bits(await readBack(loss))).toEqual(bits(expected.output));
        const both = await b.forwardBackward(x, y, undefined, options);
        expect(bits(await readBack(both.output))).toEqual(bits(expected.output));
        expect(both.gradInput.shape).toEqual([40, 30]);
        expectClose(await readBack(both.gradInput), expected.gradInput, `${reduction} gradient`);
        const gradient = await b.backward(x, y, expected.gradOutput, options);
        expectClose(await readBack(gradient), expected.gradInput, `${reduction} backward`);
        for (const owned of [loss, both.output, both.gradInput, gradient]) owned.buffer.destroy();
      }
    }
    // From typed arrays to results on the GPU as well.
    const typedIn = await backend.forward(input, target, { reduction: 'sum', outputLocation: 'gpu-buffer' });
    expect(bits(await readBack(typedIn))).toEqual(
      bits(referenceOf({ input, target, options: { reduction: 'sum' } }).output),
    );
    typedIn.buffer.destroy();
    x.buffer.destroy();
    y.buffer.destroy();
  });

  it("with 'gpu-buffer', results are written into the caller's out GpuTensors and returned", async () => {
    const { input, target } = dyadicProblem(40, 30, 5, 19);
    const x = onGpu(input.data, input.shape);
    const y = onGpu(target.data, target.shape);
    for (const b of [backend, chunked]) {
      const expected = referenceOf({ input, target, options: { reduction: 'none' } });
      const output = onGpu(new Float32Array(40).fill(Number.NaN), [40]);
      const gradInput = onGpu(new Float32Array(1200).fill(Number.NaN), [40, 30]);
      const result = await b.forwardBackward(x, y, undefined, {
        reduction: 'none',
        outputLocation: 'gpu-buffer',
        out: { output, gradInput },
      });
      expect(result.output.buffer).toBe(output.buffer);
      expect(result.gradInput.buffer).toBe(gradInput.buffer);
      expect(bits(await readBack(output))).toEqual(bits(expected.output));
      expectClose(await readBack(gradInput), expected.gradInput, 'out gradient');
      const readOnly = device.createBuffer({ size: 160, usage: COPY_SRC });
      const error = await rejection(
        b.forward(x, y, {
          reduction: 'none',
          outputLocation: 'gpu-buffer',
          out: { output: { ...output, buffer: readOnly } },
        }),
      );
      expect(isLossError(error, 'INVALID_OPTIONS')).toBe(true);
      readOnly.destroy();
      output.buffer.destroy();
      gradInput.buffer.destroy();
    }
    x.buffer.destroy();
    y.buffer.destroy();
  });

  it('a GPU target out of range is found on the GPU: TARGET_OUT_OF_RANGE naming the first bad index', async () => {
    const { input, target } = randomProblem(60, 40, 3, 2); // two chunks of `chunked`
    const bad = target.data.slice();
    bad[45 * 40 + 7] = 40;
    bad[50 * 40 + 1] = -2;
    const x = onGpu(input.data, input.shape);
    const y = onGpu(bad, target.shape);
    for (const b of [backend, chunked]) {
      for (const call of [
        () => b.forward(x, y),
        () => b.forwardBackward(x, y, undefined, { outputLocation: 'gpu-buffer' }),
        () => b.backward(x, y, { data: new Float32Array([1]), shape: [] }),
      ]) {
        const error = await rejection(call());
        expect(isLossError(error, 'TARGET_OUT_OF_RANGE')).toBe(true);
        expect((error as Error).message).toMatch(/found 40 at index 1807, expected values in \[-1, 39\]/);
      }
    }
    // The same data as typed arrays is rejected by validation with the same words.
    const typed = await rejection(backend.forward(input, { data: bad, shape: target.shape }));
    expect((typed as Error).message).toBe(((await rejection(backend.forward(x, y))) as Error).message);
    x.buffer.destroy();
    y.buffer.destroy();
    // The extremes of int32 (t + 1 wraps in the check) are out of range too.
    for (const value of [2 ** 31 - 1, -(2 ** 31), 39, -1]) {
      const data = target.data.slice();
      data[3 * 40 + 5] = value;
      const z = onGpu(data, target.shape);
      const result = backend.forward(input, z); // a typed input beside a GPU target
      if (value === 39 || value === -1) {
        await expect(result).resolves.toBeDefined();
      } else {
        const error = await rejection(result);
        expect((error as Error).message).toMatch(new RegExp(`found ${value} at index 125,`));
      }
      z.buffer.destroy();
    }
  });

  it('rejects before any GPU work: bad shapes, a buffer too small for its shape, wrong dtypes, no STORAGE usage', async () => {
    const x = onGpu(new Float32Array(12), [3, 4]);
    const y = onGpu(new Int32Array(12), [3, 4]);
    const code = async (promise: Promise<unknown>) => ((await rejection(promise)) as { code?: string }).code;
    expect(await code(backend.forward({ ...x, shape: [3, 0] }, { ...y, shape: [3, 0] }))).toBe(
      'INVALID_SHAPE',
    );
    expect(await code(backend.forward(x, { ...y, shape: [4, 3] }))).toBe('TARGET_SHAPE_MISMATCH');
    expect(await code(backend.forward({ ...x, shape: [4, 4] }, { ...y, shape: [4, 4] }))).toBe(
      'INVALID_DTYPE',
    );
    expect(await code(backend.forward({ ...x, dtype: 'int32' }, y))).toBe('INVALID_DTYPE');
    const unbindable = device.createBuffer({ size: 48, usage: COPY_DST });
    expect(await code(backend.forward({ buffer: unbindable, shape: [3, 4], dtype: 'float32' }, y))).toBe(
      'INVALID_DTYPE',
    );
    unbindable.destroy();
    x.buffer.destroy();
    y.buffer.destroy();
  });
});
