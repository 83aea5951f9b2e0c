import { describe, expect, it } from 'vitest';
import { createReferenceBackend, type FloatArray, type Tensor } from '../src/index.js';

const backend = createReferenceBackend();
const f32 = (data: number[], shape: number[]): Tensor<FloatArray> => ({
  data: new Float32Array(data),
  shape,
});
const f64 = (data: number[], shape: number[]): Tensor<FloatArray> => ({
  data: new Float64Array(data),
  shape,
});
const i32 = (data: number[], shape: number[]): Tensor<Int32Array> => ({ data: new Int32Array(data), shape });
const values = (t: Tensor<FloatArray>) => Array.from(t.data);

describe('DESIGN §2 semantics (reference backend)', () => {
  const x = f32([0.1, 0.2, 0.4, 0.8], [1, 4]);
  const y = i32([3, 0, -1, 1], [1, 4]);

  it('the seed example: 0.85 and [-0.5, 0.5, 0.5, -0.5]', async () => {
    const { output, gradInput } = await backend.forwardBackward(x, y);
    expect(output.shape).toEqual([]);
    expect(output.data[0]).toBeCloseTo(0.85, 6); // PyTorch: 0.85000002 (it rounds each term), 1 ulp away
    expect(output.data).toBeInstanceOf(Float32Array);
    expect(gradInput.shape).toEqual([1, 4]);
    expect(values(gradInput)).toEqual([-0.5, 0.5, 0.5, -0.5]);
  });

  it('each reduction on 2-D input', async () => {
    const x2 = f64([0.1, 0.2, 0.4, 0.8, 0.5, 0.5, 0.5, 0.5], [2, 4]);
    const y2 = i32([3, 0, -1, 1, 2, -1, 3, 3], [2, 4]);
    // row 2: target {2}, others 0,1,3: each term 1 - 0.5 + 0.5 = 1 -> S = 3.
    const none = await backend.forward(x2, y2, { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    expect(none.data[0]).toBeCloseTo(3.4 / 4, 15);
    expect(none.data[1]).toBe(3 / 4);
    const sum = await backend.forward(x2, y2, { reduction: 'sum' });
    expect(sum.shape).toEqual([]);
    expect(sum.data[0]).toBeCloseTo(6.4 / 4, 15);
    const mean = await backend.forward(x2, y2, { reduction: 'mean' });
    expect(mean.data[0]).toBeCloseTo(6.4 / 8, 15);
  });

  it('each reduction on 1-D input gives shape []', async () => {
    const x1 = f64([0.1, 0.2, 0.4, 0.8], [4]);
    const y1 = i32([3, 0, -1, 1], [4]);
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const out = await backend.forward(x1, y1, { reduction });
      expect(out.shape).toEqual([]);
      expect(out.data[0]).toBeCloseTo(0.85, 15);
    }
  });

  it('each reduction on 0-dim input (C = 1: the only class is the target, so the loss is 0)', async () => {
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const out = await backend.forward(f32([3], []), i32([0], []), { reduction });
      expect(out.shape).toEqual([]);
      expect(values(out)).toEqual([0]);
    }
    const noTarget = await backend.forwardBackward(f32([3], []), i32([-1], []));
    expect(values(noTarget.output)).toEqual([0]);
    expect(noTarget.gradInput.shape).toEqual([]);
  });

  it('an all -1 target gives zero loss and zero gradient', async () => {
    const { output, gradInput } = await backend.forwardBackward(x, i32([-1, -1, -1, -1], [1, 4]));
    expect(values(output)).toEqual([0]);
    expect(values(gradInput)).toEqual([0, 0, 0, 0]);
  });

  it('duplicated targets count once per occurrence', async () => {
    const once = await backend.forward(x, i32([3, -1, 0, 0], [1, 4]), { reduction: 'sum' });
    const twice = await backend.forward(x, i32([3, 3, -1, 0], [1, 4]), { reduction: 'sum' });
    expect(twice.data[0]).toBeCloseTo(2 * once.data[0]!, 6);
    const grad = await backend.backward(x, i32([3, 3, -1, 0], [1, 4]), f32([1], []), { reduction: 'sum' });
    // pairs (3, d) for d in 0,1,2, twice: every non-target +2/4, the target -6/4.
    expect(values(grad)).toEqual([0.5, 0.5, 0.5, -1.5]);
  });

  it('values after the first -1 are ignored', async () => {
    const a = await backend.forwardBackward(x, i32([3, -1, 0, 1], [1, 4]));
    const b = await backend.forwardBackward(x, i32([3, -1, 2, 2], [1, 4]));
    expect(values(a.output)).toEqual(values(b.output));
    expect(values(a.gradInput)).toEqual(values(b.gradInput));
  });

  it('NaN terms never count; +inf at a non-target gives +inf', async () => {
    const nan = await backend.forwardBackward(
      f32([Number.NaN, 0, 0], [1, 3]),
      i32([1, -1, 0], [1, 3]),
      undefined,
      {
        reduction: 'sum',
      },
    );
    // pair (1, 0) is NaN: skipped; pair (1, 2) = 1.
    expect(values(nan.output)).toEqual([Math.fround(1 / 3)]);
    expect(values(nan.gradInput)).toEqual([0, -1 / 3, 1 / 3].map(Math.fround));
    const inf = await backend.forward(f32([Number.POSITIVE_INFINITY, 0, 0], [1, 3]), i32([1, -1, 0], [1, 3]));
    expect(values(inf)).toEqual([Number.POSITIVE_INFINITY]);
    const negInf = await backend.forward(f32([Number.NEGATIVE_INFINITY, 0], [1, 2]), i32([1, -1], [1, 2]));
    expect(values(negInf)).toEqual([0]);
    // target at -inf: every term is +inf, except against another -inf (inf + -inf = NaN: skipped).
    const both = await backend.forwardBackward(
      f32([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 0], [1, 3]),
      i32([0, -1, 0], [1, 3]),
    );
    expect(values(both.output)).toEqual([Number.POSITIVE_INFINITY]);
    expect(values(both.gradInput)).toEqual([-1 / 3, 0, 1 / 3].map(Math.fround));
  });

  it('the float32 margin is decided on fl(1 - x[y]): a term rounding to exactly 0 counts for nothing', async () => {
    const xy = 1e-8; // fl32(1 - 1e-8) == 1, so the term for x[d] = -1 is exactly 0 in float32
    const t32 = await backend.forwardBackward(f32([xy, -1], [1, 2]), i32([0, -1], [1, 2]));
    expect(values(t32.output)).toEqual([0]);
    expect(values(t32.gradInput)).toEqual([0, 0]);
    // In float64 the same numbers give a positive term (1 - 1e-8 - 1 < 0 here, so use the mirror case).
    const t64 = await backend.forwardBackward(f64([-1e-8, -1], [1, 2]), i32([0, -1], [1, 2]));
    expect(t64.output.data[0]).toBeCloseTo(1e-8 / 2, 15);
    expect(t64.output.data[0]).toBeGreaterThan(0);
    const t32m = await backend.forwardBackward(f32([-1e-8, -1], [1, 2]), i32([0, -1], [1, 2]));
    expect(values(t32m.output)).toEqual([0]);
  });

  it('scales the gradient by grad_output: one scalar, or one per sample for none', async () => {
    const x2 = f32([0.1, 0.2, 0.4, 0.8, 0.1, 0.2, 0.4, 0.8], [2, 4]);
    const y2 = i32([3, 0, -1, 1, 3, 0, -1, 1], [2, 4]);
    const none = await backend.backward(x2, y2, f32([2, -1], [2]), { reduction: 'none' });
    expect(values(none)).toEqual([-1, 1, 1, -1, 0.5, -0.5, -0.5, 0.5]);
    const mean = await backend.backward(x2, y2, f32([-4], []), { reduction: 'mean' });
    expect(values(mean)).toEqual([1, -1, -1, 1, 1, -1, -1, 1]);
    const inf = await backend.backward(x, i32([3, -1, 0, 0], [1, 4]), f32([Number.POSITIVE_INFINITY], []), {
      reduction: 'sum',
    });
    expect(values(inf).every((v) => !Number.isFinite(v))).toBe(true);
  });

  it('empty batch: none -> [0], sum -> 0, mean -> NaN, gradient [0, C]', async () => {
    const xe = f32([], [0, 3]);
    const ye = i32([], [0, 3]);
    const none = await backend.forward(xe, ye, { reduction: 'none' });
    expect([none.shape, none.data.length]).toEqual([[0], 0]);
    expect(values(await backend.forward(xe, ye, { reduction: 'sum' }))).toEqual([0]);
    expect(values(await backend.forward(xe, ye, { reduction: 'mean' }))).toEqual([Number.NaN]);
    const grad = await backend.backward(xe, ye, f32([1], []), {});
    expect([grad.shape, grad.data.length]).toEqual([[0, 3], 0]);
  });

  it('outputs have the input dtype and inputs are not mutated', async () => {
    const x64 = f64([0.1, 0.2, 0.4, 0.8], [1, 4]);
    const before = [values(x64), Array.from(y.data)];
    const { output, gradInput } = await backend.forwardBackward(x64, y);
    expect(output.data).toBeInstanceOf(Float64Array);
    expect(gradInput.data).toBeInstanceOf(Float64Array);
    expect([values(x64), Array.from(y.data)]).toEqual(before);
  });

  it('forward, backward and forwardBackward agree', async () => {
    const g = f32([0.5], []);
    const fb = await backend.forwardBackward(x, y, g, { reduction: 'sum' });
    expect(values(await backend.forward(x, y, { reduction: 'sum' }))).toEqual(values(fb.output));
    expect(values(await backend.backward(x, y, g, { reduction: 'sum' }))).toEqual(values(fb.gradInput));
  });

  it('a disposed backend refuses calls with BACKEND_DISPOSED', async () => {
    const own = createReferenceBackend();
    await own.dispose();
    await expect(own.forward(x, y)).rejects.toMatchObject({ code: 'BACKEND_DISPOSED' });
  });
});
