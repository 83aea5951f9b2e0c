import { createReferenceBackend, type FloatArray } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { MultiLabelMarginLoss, multilabelMarginLoss, multilabelMarginLossWithGrad } from '../src/index.js';

const backend = createReferenceBackend();

describe('torch-like API: options are checked, never silently defaulted', () => {
  it("rejects dtype 'float16' (or any unknown dtype) with INVALID_OPTIONS", async () => {
    for (const dtype of ['float16', 'int32', 42, null]) {
      await expect(
        multilabelMarginLoss([[0.1, 0.2]], [[1, -1]], { backend, dtype: dtype as never }),
      ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/dtype must be/) });
    }
    const f64 = await multilabelMarginLoss([[0.1, 0.2]], [[1, -1]], { backend, dtype: 'float64' });
    expect(f64.data).toBeInstanceOf(Float64Array);
  });

  it('rejects options that are not an object with INVALID_OPTIONS', async () => {
    for (const options of ['sum', ['sum'], null, 3]) {
      await expect(multilabelMarginLoss([[0.1, 0.2]], [[1, -1]], options as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
    }
  });

  it('reports a target beyond int32 with its own value, not the clamped 2147483647', async () => {
    const big = 9007199254740993n;
    for (const [target, value] of [
      [new BigInt64Array([0n, big, -1n]), String(big)],
      [[0, 2 ** 40, -1], String(2 ** 40)],
      [[0, -(2 ** 33), -1], String(-(2 ** 33))],
    ] as const) {
      const error = await multilabelMarginLoss([0.1, 0.2, 0.3], target as never, { backend }).catch((e) => e);
      expect(error).toMatchObject({ code: 'TARGET_OUT_OF_RANGE' });
      expect(error.message).toContain(`found ${value} at index 1`);
      expect(error.message).not.toContain('2147483647');
    }
    // A target within int32 but out of range keeps the backend's message as it is.
    const plain = await multilabelMarginLoss([0.1, 0.2, 0.3], [0, 7, -1], { backend }).catch((e) => e);
    expect(plain.message).toContain('found 7 at index 1');
  });
});

describe('MultiLabelMarginLoss reuseOutputs', () => {
  const x = new Float32Array([0.1, 0.2, 0.4, 0.8, 0.3, -0.2, 0.5, 0.1]);
  const y = new Int32Array([3, 0, -1, 1, 2, -1, 0, 0]);

  it('writes every call of a fixed shape into the same two arrays, with the right values', async () => {
    const criterion = new MultiLabelMarginLoss({ reuseOutputs: true, backend, reduction: 'none' });
    const first = await criterion.forwardBackward({ data: x, shape: [2, 4] }, { data: y, shape: [2, 4] });
    const expected = await multilabelMarginLossWithGrad(
      { data: x, shape: [2, 4] },
      { data: y, shape: [2, 4] },
      undefined,
      {
        backend,
        reduction: 'none',
      },
    );
    const seen: FloatArray[][] = [];
    for (let step = 0; step < 3; step++) {
      const input = { data: x.map((v) => v * (step + 1)), shape: [2, 4] };
      const { output, gradInput } = await criterion.forwardBackward(input, { data: y, shape: [2, 4] });
      const fresh = await multilabelMarginLossWithGrad(input, { data: y, shape: [2, 4] }, undefined, {
        backend,
        reduction: 'none',
      });
      expect(Array.from(output.data)).toEqual(Array.from(fresh.output.data));
      expect(Array.from(gradInput.data)).toEqual(Array.from(fresh.gradInput.data));
      seen.push([output.data, gradInput.data]);
    }
    expect(first.output.data).not.toBe(expected.output.data);
    for (const [output, gradInput] of seen) {
      expect(output).toBe(seen[0]![0]);
      expect(gradInput).toBe(seen[0]![1]);
    }
  });

  it('takes fresh arrays when the shape or dtype changes, and without the option', async () => {
    const criterion = new MultiLabelMarginLoss({ reuseOutputs: true, backend });
    const a = await criterion.forwardBackward({ data: x, shape: [2, 4] }, { data: y, shape: [2, 4] });
    const b = await criterion.forwardBackward({ data: x, shape: [1, 8] }, { data: y, shape: [1, 8] });
    expect(b.gradInput.data).not.toBe(a.gradInput.data);
    const c = await criterion.forwardBackward(
      { data: Float64Array.from(x), shape: [1, 8] },
      { data: y, shape: [1, 8] },
    );
    expect(c.gradInput.data).not.toBe(b.gradInput.data);
    const plain = new MultiLabelMarginLoss({ backend });
    const p1 = await plain.forward(x, y);
    const p2 = await plain.forward(x, y);
    expect(p2.data).not.toBe(p1.data);
  });

  it('gives a call made while another is in flight its own arrays', async () => {
    const criterion = new MultiLabelMarginLoss({ reuseOutputs: true, backend });
    await criterion.forward(x, y);
    const [a, b] = await Promise.all([criterion.forward(x, y), criterion.forward(x, y)]);
    expect(a.data).not.toBe(b.data);
  });

  it('rejects reuseOutputs together with out', () => {
    expect(
      () => new MultiLabelMarginLoss({ reuseOutputs: true, out: { output: new Float32Array(1) } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
