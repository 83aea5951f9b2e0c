import { describe, expect, it } from 'vitest';
import {
  type GpuLossKernel,
  type GpuProblem,
  isLossError,
  LossBackend,
  type LossKernel,
  type LossOptions,
  referenceKernel,
  usesGpu,
  validateGpuForward,
} from '../src/index.ts';

const context = { backend: 'gpu-test', dtypes: ['float32'] as const, disposed: false, gpuResident: true };
const gpuTensor = (
  shape: number[],
  dtype: 'float32' | 'int32',
  size = 4 * shape.reduce((a, b) => a * b, 1),
) => ({
  buffer: { size },
  shape,
  dtype,
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isLossError(error) ? error.code : 'not a LossError';
  }
  return undefined;
}

describe('validateGpuForward', () => {
  it('accepts GpuTensors and typed arrays mixed, with the shapes read once', () => {
    const problem = validateGpuForward(
      gpuTensor([2, 3], 'float32'),
      { data: new Int32Array([0, -1, 0, 2, 1, -1]), shape: [2, 3] },
      { reduction: 'none', outputLocation: 'gpu-buffer' },
      context,
    );
    expect(problem).toMatchObject({ batch: 2, classes: 3, outputShape: [2], outputLocation: 'gpu-buffer' });
  });

  it('rejects, in DESIGN order: dtype, too small a buffer, shapes, a typed target out of range, out with gpu-buffer', () => {
    expect(
      codeOf(() => validateGpuForward(gpuTensor([2], 'int32'), gpuTensor([2], 'int32'), {}, context)),
    ).toBe('INVALID_DTYPE');
    expect(
      codeOf(() =>
        validateGpuForward(gpuTensor([4, 4], 'float32', 60), gpuTensor([4, 4], 'int32'), {}, context),
      ),
    ).toBe('INVALID_DTYPE');
    expect(
      codeOf(() => validateGpuForward(gpuTensor([5, 0], 'float32'), gpuTensor([5, 0], 'int32'), {}, context)),
    ).toBe('INVALID_SHAPE');
    expect(
      codeOf(() => validateGpuForward(gpuTensor([5, 4], 'float32'), gpuTensor([4], 'int32'), {}, context)),
    ).toBe('TARGET_SHAPE_MISMATCH');
    const badTarget = { data: new Int32Array([0, 4]), shape: [2] };
    expect(codeOf(() => validateGpuForward(gpuTensor([2], 'float32'), badTarget, {}, context))).toBe(
      'TARGET_OUT_OF_RANGE',
    );
    const typedOut = { output: new Float32Array(1) };
    const x = gpuTensor([2], 'float32');
    const y = gpuTensor([2], 'int32');
    const gpuOut = (out: unknown) => () =>
      validateGpuForward(x, y, { out, outputLocation: 'gpu-buffer' } as unknown as LossOptions, context);
    expect(codeOf(gpuOut(typedOut))).toBe('INVALID_OPTIONS');
    expect(codeOf(gpuOut({ output: gpuTensor([2], 'float32') }))).toBe('INVALID_OPTIONS'); // shape [] expected
    expect(codeOf(gpuOut({ output: gpuTensor([], 'float32', 2) }))).toBe('INVALID_OPTIONS'); // too small
    expect(codeOf(gpuOut({ output: x }))).toBe('INVALID_OPTIONS'); // the input's buffer
    const output = gpuTensor([], 'float32');
    expect(
      validateGpuForward(
        x,
        y,
        { out: { output }, outputLocation: 'gpu-buffer' } as unknown as LossOptions,
        context,
      ).gpuOut?.output?.buffer,
    ).toBe(output.buffer);
    expect(
      codeOf(() =>
        validateGpuForward(
          gpuTensor([2], 'float32'),
          gpuTensor([2], 'int32'),
          {},
          { ...context, disposed: true },
        ),
      ),
    ).toBe('BACKEND_DISPOSED');
  });

  it('usesGpu: a GpuTensor anywhere or outputLocation gpu-buffer', () => {
    const typed = { data: new Float32Array(1), shape: [] };
    expect(usesGpu(typed, typed, undefined)).toBe(false);
    expect(usesGpu(gpuTensor([], 'float32'), typed, undefined)).toBe(true);
    expect(usesGpu(typed, typed, { outputLocation: 'gpu-buffer' })).toBe(true);
    expect(usesGpu(typed, typed, 'sum')).toBe(false);
  });
});

describe('LossBackend routes GPU-resident calls to kernel.gpu', () => {
  it('hands the kernel a validated GpuProblem and returns its GpuTensor; typed-array calls go the usual way', async () => {
    const seen: GpuProblem[] = [];
    const result = { buffer: { size: 4 }, shape: [], dtype: 'float32' as const };
    const gpu: GpuLossKernel = {
      forward: async (problem) => {
        seen.push(problem);
        return result;
      },
      backward: async () => new Float32Array(2),
      forwardBackward: async () => ({ output: new Float32Array(1), gradInput: new Float32Array(2) }),
    };
    const kernel: LossKernel = { ...referenceKernel, gpu };
    const backend = new LossBackend(
      'gpu-test',
      { dtypes: ['float32'], tolerance: {}, deterministic: true },
      kernel,
    );
    const input = gpuTensor([2], 'float32');
    const target = gpuTensor([2], 'int32');
    const output = await backend.forward(input as never, target as never, { outputLocation: 'gpu-buffer' });
    expect(output).toBe(result);
    expect(seen[0]).toMatchObject({ batch: 1, classes: 2, outputLocation: 'gpu-buffer' });
    const typed = await backend.forward(
      { data: new Float32Array([0.5, 0.25]), shape: [2] },
      { data: new Int32Array([0, -1]), shape: [2] },
    );
    expect(typed.data[0]).toBeCloseTo(0.375, 6);
    const fused = await backend.forwardBackward(input as never, target as never);
    expect(fused.gradInput.shape).toEqual([2]);
  });

  it('a kernel without gpu rejects a GpuTensor with UNSUPPORTED_LOCATION', async () => {
    const backend = new LossBackend(
      'cpu',
      { dtypes: ['float32'], tolerance: {}, deterministic: true },
      referenceKernel,
    );
    await expect(
      backend.forward(gpuTensor([2], 'float32') as never, { data: new Int32Array([0, -1]), shape: [2] }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_LOCATION' });
  });
});

describe('a GPU-resident backend follows the typed-array rules (found by the fuzzer)', () => {
  const gpuKernel: LossKernel = {
    ...referenceKernel,
    gpu: {
      forward: async () => new Float32Array(1),
      backward: async () => new Float32Array(4),
      forwardBackward: async () => ({ output: new Float32Array(1), gradInput: new Float32Array(4) }),
    },
  };
  const backend = new LossBackend(
    'gpu-test',
    { dtypes: ['float32'], tolerance: {}, deterministic: true },
    gpuKernel,
  );
  const target = () => ({ data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] });

  it('reads a data getter once (deciding the path does not read data)', async () => {
    let reads = 0;
    const data = new Float32Array([0.1, 0.2, 0.4, 0.8]);
    const input = {
      get data() {
        reads += 1;
        return reads === 1 ? data : new Float32Array(0);
      },
      shape: [1, 4],
    };
    const loss = await backend.forward(input, target());
    expect(reads).toBe(1);
    expect(loss.data[0]).toBeCloseTo(0.85, 6);
  });

  it('a float64 input is UNSUPPORTED_DTYPE with gpu-buffer results too, as without', async () => {
    const input = { data: new Float64Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
    await expect(backend.forward(input, target())).rejects.toMatchObject({ code: 'UNSUPPORTED_DTYPE' });
    await expect(backend.forward(input, target(), { outputLocation: 'gpu-buffer' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_DTYPE',
    });
  });

  it('grad_output is checked before out, as on the typed-array path', async () => {
    const input = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
    const wrongGrad = { data: new Int32Array([1]), shape: [] } as never;
    const options = { outputLocation: 'gpu-buffer', out: { output: new Float32Array(1) } } as LossOptions;
    await expect(backend.backward(input, target(), wrongGrad, options)).rejects.toMatchObject({
      code: 'INVALID_DTYPE',
    });
  });
});
