import { createReferenceBackend } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import {
  listBackends,
  MultiLabelMarginLoss,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelMarginLossWithGrad,
  toInputTensor,
  toNested,
  toTargetTensor,
} from '../src/index.js';

const backend = createReferenceBackend();

describe('torch-like API', () => {
  it('computes the seed example from nested arrays, as float32 by default', async () => {
    const loss = await multilabelMarginLoss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]], { backend });
    expect(loss.data).toBeInstanceOf(Float32Array);
    expect(loss.data[0]).toBeCloseTo(0.85, 6);
    expect(loss.shape).toEqual([]);
    expect(loss.backend).toBe('reference');
    const grad = await multilabelMarginLossBackward([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]], undefined, {
      backend,
    });
    expect(toNested(grad)).toEqual([[-0.5, 0.5, 0.5, -0.5]]);
  });

  it('accepts typed arrays, tensors, BigInt64Array and plain integers as targets', async () => {
    const x = new Float64Array([0.1, 0.2, 0.4, 0.8]);
    const expected = await multilabelMarginLoss(x, new Int32Array([3, 0, -1, 1]), { backend });
    expect(expected.data).toBeInstanceOf(Float64Array);
    for (const y of [
      [3, 0, -1, 1],
      new BigInt64Array([3n, 0n, -1n, 1n]),
      { data: new BigInt64Array([3n, 0n, -1n, 1n]), shape: [4] },
      { data: [3, 0, -1, 1], shape: [4] },
      new Int16Array([3, 0, -1, 1]),
    ]) {
      expect(Array.from((await multilabelMarginLoss(x, y, { backend })).data)).toEqual(
        Array.from(expected.data),
      );
    }
    const scalar = await multilabelMarginLoss(2.5, 0, { backend, reduction: 'none' });
    expect([scalar.shape, Array.from(scalar.data)]).toEqual([[], [0]]);
  });

  it('rejects non-integer targets and float target arrays with INVALID_DTYPE', async () => {
    await expect(multilabelMarginLoss([0, 1], [0.5, -1], { backend })).rejects.toMatchObject({
      code: 'INVALID_DTYPE',
    });
    await expect(
      multilabelMarginLoss([0, 1], new Float32Array([0, -1]) as never, { backend }),
    ).rejects.toMatchObject({
      code: 'INVALID_DTYPE',
    });
    await expect(multilabelMarginLoss([0, 1], [Number.NaN, -1], { backend })).rejects.toMatchObject({
      code: 'INVALID_DTYPE',
    });
    await expect(multilabelMarginLoss([0, 'a'] as never, [0, -1], { backend })).rejects.toMatchObject({
      code: 'INVALID_DTYPE',
    });
  });

  it('keeps huge targets out of range instead of wrapping them into valid classes', async () => {
    // 2**32 would wrap to 0 in an Int32Array, a valid class: it must stay an error.
    await expect(multilabelMarginLoss([0, 1], [2 ** 32, -1], { backend })).rejects.toMatchObject({
      code: 'TARGET_OUT_OF_RANGE',
    });
    await expect(
      multilabelMarginLoss([0, 1], new BigInt64Array([2n ** 32n, -1n]), { backend }),
    ).rejects.toMatchObject({ code: 'TARGET_OUT_OF_RANGE' });
    expect(Array.from(toTargetTensor([-(2 ** 40), 2 ** 40]).data)).toEqual([-2147483648, 2147483647]);
  });

  it('rejects ragged nested arrays with INVALID_SHAPE and rank 3 through validation', async () => {
    await expect(multilabelMarginLoss([[1, 2], [3]], [[0, -1], [0]], { backend })).rejects.toMatchObject({
      code: 'INVALID_SHAPE',
    });
    await expect(multilabelMarginLoss([[[1]]], [[[0]]], { backend })).rejects.toMatchObject({
      code: 'INVALID_SHAPE',
    });
  });

  it('does not copy or mutate typed-array inputs', async () => {
    const x = new Float32Array([0.1, 0.2, 0.4, 0.8]);
    const y = new Int32Array([3, 0, -1, 1]);
    expect(toInputTensor(x).data).toBe(x);
    expect(toTargetTensor(y).data).toBe(y);
    await multilabelMarginLossWithGrad(x, y, 2, { backend, reduction: 'sum' });
    expect(Array.from(x)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.4, 0.8])));
    expect(Array.from(y)).toEqual([3, 0, -1, 1]);
  });

  it('honours reduction and legacy options, and grad_output per sample', async () => {
    const x = [
      [0.1, 0.2, 0.4, 0.8],
      [0.1, 0.2, 0.4, 0.8],
    ];
    const y = [
      [3, 0, -1, 1],
      [3, 0, -1, 1],
    ];
    const none = await multilabelMarginLoss(x, y, { backend, reduce: false, reduction: 'sum' });
    expect(none.shape).toEqual([2]);
    const { gradInput } = await multilabelMarginLossWithGrad(x, y, [1, -2], { backend, reduction: 'none' });
    expect(toNested(gradInput)).toEqual([
      [-0.5, 0.5, 0.5, -0.5],
      [1, -1, -1, 1],
    ]);
  });

  it('the module form keeps its options and reports its backend', async () => {
    const criterion = new MultiLabelMarginLoss({ reduction: 'sum', backend });
    expect((await criterion.backend()).name).toBe('reference');
    const { output } = await criterion.forwardBackward([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]]);
    expect(output.data[0]).toBeCloseTo(0.85, 6);
    expect((await criterion.forward([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]])).backend).toBe('reference');
  });

  it('importing @mlml/loss registers cpu-ts, wasm and webgpu, wasm first', () => {
    const names = listBackends().map((b) => b.name);
    expect(names.slice(0, 3)).toEqual(['wasm', 'webgpu', 'cpu-ts']);
  });
});

describe('the caller may refill its arrays as soon as a call returns its promise', () => {
  const seed = () => ({
    x: { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] },
    y: { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] },
  });

  it.each([
    ['a backend still being created', () => ['cpu-ts', 'wasm'] as string[]],
    ['a shared backend already created', () => 'cpu-ts'],
  ])('forward and forwardBackward read the arrays at call time on %s', async (_what, backend) => {
    await multilabelMarginLoss([[0]], [[0]], { backend: 'cpu-ts' });
    const forward = seed();
    const loss = multilabelMarginLoss(forward.x, forward.y, { backend: backend() });
    forward.x.data.fill(0);
    forward.y.data.fill(7);
    expect((await loss).data[0]).toBeCloseTo(0.85, 6);
    const fused = seed();
    const both = multilabelMarginLossWithGrad(fused.x, fused.y, undefined, { backend: backend() });
    fused.x.data.fill(0);
    fused.y.data.fill(7);
    const { output, gradInput } = await both;
    expect(output.data[0]).toBeCloseTo(0.85, 6);
    expect([...gradInput.data]).toEqual([-0.5, 0.5, 0.5, -0.5]);
  });
});
