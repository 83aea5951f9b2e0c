import { describe, expect, it } from 'vitest';
import {
  createReferenceBackend,
  type FloatArray,
  isLossError,
  type LossErrorCode,
  type LossOptions,
  type Tensor,
  validateForward,
} from '../src/index.js';

const x = (): Tensor<FloatArray> => ({ data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] });
const y = (): Tensor<Int32Array> => ({ data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] });

async function rejection(call: () => unknown): Promise<{ code: LossErrorCode; message: string }> {
  try {
    await call();
  } catch (error) {
    if (isLossError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a LossError');
}

describe('options are checked, never silently defaulted', () => {
  const backend = createReferenceBackend();

  it.each([
    ['a string', 'sum'],
    ['a number', 3],
    ['null', null],
    ['an array', ['sum']],
  ])('INVALID_OPTIONS when options are %s', async (_what, options) => {
    const e = await rejection(() => backend.forward(x(), y(), options as never));
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toContain('options must be an object');
  });

  it('INVALID_OPTIONS names an unknown key (a typo would otherwise compute the mean)', async () => {
    const e = await rejection(() => backend.forward(x(), y(), { reductoin: 'sum' } as never));
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toContain("'reductoin'");
  });

  it('INVALID_OPTIONS for an outputLocation that is not cpu or gpu-buffer', async () => {
    const e = await rejection(() => backend.forward(x(), y(), { outputLocation: 'disk' } as never));
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toContain("'disk'");
  });

  it('UNSUPPORTED_LOCATION for gpu-buffer results and GpuTensors on a typed-array backend', async () => {
    expect((await rejection(() => backend.forward(x(), y(), { outputLocation: 'gpu-buffer' }))).code).toBe(
      'UNSUPPORTED_LOCATION',
    );
    const gpuInput = { buffer: {}, shape: [1, 4], dtype: 'float32' };
    const gpuTarget = { buffer: {}, shape: [1, 4], dtype: 'int32' };
    expect((await rejection(() => backend.forward(gpuInput as never, y()))).code).toBe(
      'UNSUPPORTED_LOCATION',
    );
    expect((await rejection(() => backend.forward(x(), gpuTarget as never))).code).toBe(
      'UNSUPPORTED_LOCATION',
    );
  });

  it('INVALID_REDUCTION still comes first among option errors of the reduction', async () => {
    expect((await rejection(() => backend.forward(x(), y(), { reduction: 'avg' } as never))).code).toBe(
      'INVALID_REDUCTION',
    );
  });
});

describe('out: caller-owned result arrays', () => {
  const backend = createReferenceBackend();

  it('writes the loss and gradient into the caller arrays and returns them, whatever they held', async () => {
    const output = new Float32Array([Number.NaN]);
    const gradInput = new Float32Array([7, 7, 7, 7]);
    const fresh = await backend.forwardBackward(x(), y(), undefined, { reduction: 'sum' });
    const result = await backend.forwardBackward(x(), y(), undefined, {
      reduction: 'sum',
      out: { output, gradInput },
    });
    expect(result.output.data).toBe(output);
    expect(result.gradInput.data).toBe(gradInput);
    expect([...output]).toEqual([...fresh.output.data]);
    expect([...gradInput]).toEqual([...fresh.gradInput.data]);
  });

  it('forward and backward use out.output and out.gradInput', async () => {
    const output = new Float64Array(2);
    const input: Tensor<FloatArray> = { data: new Float64Array([0.1, 0.2, 0.3, 0.9]), shape: [2, 2] };
    const target: Tensor<Int32Array> = { data: new Int32Array([0, -1, 1, -1]), shape: [2, 2] };
    const loss = await backend.forward(input, target, { reduction: 'none', out: { output } });
    expect(loss.data).toBe(output);
    expect(loss.shape).toEqual([2]);
    const gradInput = new Float64Array(4).fill(5);
    const grad = await backend.backward(
      input,
      target,
      { data: new Float64Array([1, 1]), shape: [2] },
      {
        reduction: 'none',
        out: { gradInput },
      },
    );
    expect(grad.data).toBe(gradInput);
    expect([...gradInput]).toEqual([-0.5, 0.5, 0.5, -0.5]);
  });

  it.each<[string, () => LossOptions, string]>([
    ['a wrong dtype', () => ({ out: { output: new Float64Array(1) } }), 'must be a Float32Array'],
    ['a wrong length', () => ({ out: { gradInput: new Float32Array(5) } }), 'has 5 elements'],
    ['a plain array', () => ({ out: { output: [0] as never } }), 'must be a Float32Array'],
    ['not an object', () => ({ out: 3 as never }), 'out must be an object'],
  ])('INVALID_OPTIONS for out with %s', async (_what, options, message) => {
    const e = await rejection(() => backend.forwardBackward(x(), y(), undefined, options()));
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toContain(message);
  });

  it('INVALID_OPTIONS when out overlaps an input or the other result, and the input is untouched', async () => {
    const buffer = new ArrayBuffer(4 * 8);
    const input: Tensor<FloatArray> = { data: new Float32Array(buffer, 0, 4), shape: [1, 4] };
    input.data.set([0.1, 0.2, 0.4, 0.8]);
    const before = [...input.data];
    const overlapping = new Float32Array(buffer, 12, 4);
    const e = await rejection(() =>
      backend.forwardBackward(input, y(), undefined, { out: { gradInput: overlapping } }),
    );
    expect(e.code).toBe('INVALID_OPTIONS');
    expect([...input.data]).toEqual(before);
    const shared = new Float32Array(4);
    const e2 = await rejection(() =>
      backend.forwardBackward(x(), y(), undefined, {
        out: { output: shared.subarray(0, 1), gradInput: shared },
      }),
    );
    expect(e2.message).toContain('overlap');
  });

  it('checks out after the grad_output shape (DESIGN order) and before the dtype support', async () => {
    const e = await rejection(() =>
      backend.backward(
        x(),
        y(),
        { data: new Float32Array(2), shape: [2] },
        { out: { output: new Float64Array(1) } },
      ),
    );
    expect(e.code).toBe('GRAD_OUTPUT_SHAPE_MISMATCH');
  });
});

describe('arguments are read once', () => {
  it('a shape behind a Proxy is read once, into a plain array', () => {
    let reads = 0;
    const shape = new Proxy([1, 4], {
      get(target, key, receiver) {
        if (key === '0' || key === '1') reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const problem = validateForward({ data: new Float32Array(4), shape }, y(), {});
    expect(reads).toBe(2);
    expect(Array.isArray(problem.inputShape)).toBe(true);
    expect(problem.inputShape).not.toBe(shape);
    expect(problem.classes).toBe(4);
  });

  it('a data getter is read once', () => {
    let reads = 0;
    const data = new Float32Array(4);
    const input = {
      get data() {
        reads += 1;
        return data;
      },
      shape: [1, 4],
    };
    const problem = validateForward(input, y(), {});
    expect(reads).toBe(1);
    expect(problem.input).toBe(data);
  });
});

describe('options are read once', () => {
  it('a reduction getter is read once, so it cannot change after it was checked', async () => {
    let reads = 0;
    const options = {
      get reduction() {
        reads += 1;
        return reads === 1 ? 'sum' : 'bogus';
      },
    };
    const loss = await createReferenceBackend().forward(x(), y(), options as LossOptions);
    expect(reads).toBe(1);
    expect(loss.data[0]).toBeCloseTo(0.85, 6);
  });
});
