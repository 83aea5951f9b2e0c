import { isLossError, listBackends, type Tensor } from '@mlml/core-spec';
import { describe, expect, test } from 'vitest';
import { CPU_TS_BACKEND_NAME, CPU_TS_CAPABILITIES, createCpuTsBackend } from '../src/index.js';
import { type Case, expected, firstBitDifference, firstMismatch } from './helpers.js';

const f32 = (values: number[], shape: number[]): Tensor<Float32Array> => ({
  data: Float32Array.from(values),
  shape,
});
const f64 = (values: number[], shape: number[]): Tensor<Float64Array> => ({
  data: Float64Array.from(values),
  shape,
});
const i32 = (values: number[], shape: number[]): Tensor<Int32Array> => ({
  data: Int32Array.from(values),
  shape,
});

describe('createCpuTsBackend', () => {
  test('names itself and declares both dtypes, determinism and its tolerances', () => {
    const backend = createCpuTsBackend();
    expect(backend.name).toBe('cpu-ts');
    expect(CPU_TS_BACKEND_NAME).toBe('cpu-ts');
    expect(backend.capabilities).toBe(CPU_TS_CAPABILITIES);
    expect([...backend.capabilities.dtypes]).toEqual(['float32', 'float64']);
    expect(backend.capabilities.deterministic).toBe(true);
    expect(backend.capabilities.tolerance.float32!.rtol).toBeLessThanOrEqual(1e-6);
    expect(backend.capabilities.tolerance.float64!.rtol).toBeLessThanOrEqual(1e-12);
    expect(listBackends().some((b) => b.name === 'cpu-ts')).toBe(false); // registering is @mlml/loss's job
  });

  test('the seed example: [[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]] -> 0.85, gradient [-0.5, 0.5, 0.5, -0.5]', async () => {
    const backend = createCpuTsBackend();
    for (const make of [f32, f64]) {
      const { output, gradInput } = await backend.forwardBackward(
        make([0.1, 0.2, 0.4, 0.8], [1, 4]),
        i32([3, 0, -1, 1], [1, 4]),
      );
      expect(output.shape).toEqual([]);
      expect(output.data[0]).toBeCloseTo(0.85, 6);
      expect(Array.from(gradInput.data)).toEqual([-0.5, 0.5, 0.5, -0.5]);
    }
  });

  test('float32 margins are decided in float32: x[d] = -fl(1 - x[y]) does not count, the next float up does', async () => {
    const backend = createCpuTsBackend();
    // 1 - x[y] = 1 + 1e-8 rounds down to 1 in float32, so the edge is x[d] = -1 ...
    const xy = Math.fround(-1e-8);
    const edge = -Math.fround(1 - xy);
    expect(edge).toBe(-1);
    // ... where a float64 decision would count (1 + 1e-8 - 1 > 0) and PyTorch's float32 one does not.
    expect(1 - xy + edge).toBeGreaterThan(0);
    const up = Math.fround(-0.99999994);
    expect(up).toBeGreaterThan(-1);
    const at = await backend.forwardBackward(f32([xy, edge, up], [3]), i32([0, -1, -1], [3]), undefined, {
      reduction: 'sum',
    });
    expect(at.output.data[0]).toBe(Math.fround((up - edge) / 3));
    expect(Array.from(at.gradInput.data)).toEqual([Math.fround(-1 / 3), 0, Math.fround(1 / 3)]);
  });

  test('NaN never counts, +inf at a non-target gives +inf, a -inf target makes every term +inf', async () => {
    const backend = createCpuTsBackend();
    const nan = await backend.forward(f64([Number.NaN, 0, 5], [3]), i32([0, -1, -1], [3]));
    expect(nan.data[0]).toBe(0);
    const nanOther = await backend.forward(f64([0, Number.NaN, 5], [3]), i32([0, -1, -1], [3]));
    expect(nanOther.data[0]).toBe(6 / 3);
    const inf = await backend.forward(f32([0, Number.POSITIVE_INFINITY], [2]), i32([0, -1], [2]));
    expect(inf.data[0]).toBe(Number.POSITIVE_INFINITY);
    const minusInfTarget = await backend.forward(
      f32([Number.NEGATIVE_INFINITY, -1e30, Number.NEGATIVE_INFINITY], [3]),
      i32([0, -1, -1], [3]),
    );
    // fl(1 + inf) + x[d]: +inf for finite x[d], NaN (not counted) for x[d] = -inf.
    expect(minusInfTarget.data[0]).toBe(Number.POSITIVE_INFINITY);
  });

  test('float32 terms are summed in double: terms beyond the float32 range do not overflow', async () => {
    const backend = createCpuTsBackend();
    const c: Case = {
      input: f32([-3e38, 3e38, 0], [3]),
      target: i32([0, -1, -1], [3]),
      gradOutput: f32([1], []),
      options: { reduction: 'sum' },
    };
    const out = await backend.forward(c.input, c.target, c.options);
    // fl(1 + 3e38) + 3e38 and fl(1 + 3e38) + 0, in double, divided by 3, rounded once.
    const a = Math.fround(1 + Math.fround(3e38));
    expect(out.data[0]).toBe(Math.fround((a + Math.fround(3e38) + a) / 3));
    expect(out.data[0]).toBe(expected(c).output[0]);
  });

  test('gradient: grad_output 0 gives zeros, +inf gives NaN where nothing counted (0 * inf), per sample for none', async () => {
    const backend = createCpuTsBackend();
    const input = f32([0.1, 0.2, 0.4, 0.8, 5, -5, 0, 0], [2, 4]);
    const target = i32([3, 0, -1, 1, 0, -1, 2, 2], [2, 4]);
    const grad = await backend.backward(input, target, f32([0, Number.POSITIVE_INFINITY], [2]), {
      reduction: 'none',
    });
    expect(Array.from(grad.data.slice(0, 4))).toEqual([-0, 0, 0, -0]);
    // Row 2: target 0 (x = 5) passes nothing: every entry is 0 * inf = NaN.
    expect(Array.from(grad.data.slice(4)).every(Number.isNaN)).toBe(true);
    const c: Case = {
      input,
      target,
      gradOutput: f32([-2.5, 3], [2]),
      options: { reduction: 'none' },
    };
    const fused = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
    expect(firstBitDifference(fused.gradInput.data, expected(c).gradInput)).toBe(-1);
  });

  test('duplicated targets count once per occurrence; values after the first -1 are ignored', async () => {
    const backend = createCpuTsBackend();
    const c: Case = {
      input: f64([0.5, 0.1, 0.7, 0.3], [1, 4]),
      target: i32([2, 2, -1, 1], [1, 4]),
      gradOutput: f64([1], []),
      options: { reduction: 'sum' },
    };
    const { output, gradInput } = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
    // Each occurrence of class 2: 1 - 0.7 + x[d] for d = 0, 1, 3 -> 0.8 + 0.4 + 0.6, twice.
    expect(output.data[0]).toBeCloseTo((2 * 1.8) / 4, 14);
    expect(Array.from(gradInput.data)).toEqual([0.5, 0.5, -1.5, 0.5]);
  });

  test('empty batch, 0-dim input and validation errors go through the shared LossBackend', async () => {
    const backend = createCpuTsBackend();
    expect(
      (await backend.forward(f32([], [0, 3]), i32([], [0, 3]), { reduction: 'mean' })).data[0],
    ).toBeNaN();
    expect(
      Array.from((await backend.forward(f32([], [0, 3]), i32([], [0, 3]), { reduction: 'sum' })).data),
    ).toEqual([0]);
    const scalar = await backend.forward(f64([2], []), i32([0], []), { reduction: 'none' });
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([0]);
    const error = await backend.forward(f32([1, 2], [1, 2]), i32([2, 0], [1, 2])).catch((e: unknown) => e);
    expect(isLossError(error) && error.code).toBe('TARGET_OUT_OF_RANGE');
    await backend.dispose();
    const disposed = await backend.forward(f32([1], [1]), i32([0], [1])).catch((e: unknown) => e);
    expect(isLossError(disposed) && disposed.code).toBe('BACKEND_DISPOSED');
  });

  test('one kernel reused for wide, narrow, then wide rows of both dtypes gives the reference each time', async () => {
    const backend = createCpuTsBackend();
    let state = 12345;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    for (const [batch, classes, targets] of [
      [3, 500, 40],
      [4, 5, 3],
      [2, 1200, 9],
      [5, 17, 12],
      [2, 800, 200],
    ] as const) {
      for (const make of [f32, f64]) {
        const values = Array.from({ length: batch * classes }, () => random() * 4 - 2);
        const labels = Array.from({ length: batch * classes }, (_, i) =>
          i % classes < targets ? Math.floor(random() * classes) : -1,
        );
        const c: Case = {
          input: make(values, [batch, classes]),
          target: i32(labels, [batch, classes]),
          gradOutput: make([0.75], []),
          options: { reduction: 'mean' },
        };
        const want = expected(c);
        const got = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
        const rtol = make === f32 ? 1e-6 : 1e-12;
        expect(firstMismatch(got.output.data, want.output, rtol)).toBe(-1);
        expect(firstBitDifference(got.gradInput.data, want.gradInput)).toBe(-1);
      }
    }
  });

  test('without `out`, every call returns fresh arrays', async () => {
    const backend = createCpuTsBackend();
    const input = f32([0.1, 0.9, 0.3], [1, 3]);
    const target = i32([1, -1, -1], [1, 3]);
    const first = await backend.forward(input, target);
    const second = await backend.forward(input, target);
    expect(first.data).not.toBe(second.data);
    expect(Array.from(first.data)).toEqual(Array.from(second.data));
  });

  test('`out` arrays are written (every element, stale contents ignored) and returned as they are, on every path', async () => {
    const backend = createCpuTsBackend();
    // Direct rows (J·C small), relu rows (J <= 8) and tabled rows (J > 8), each dtype.
    const shapes: [number, number, number][] = [
      [5, 6, 2],
      [4, 40, 5],
      [3, 200, 30],
    ];
    for (const make of [f32, f64]) {
      for (const [batch, classes, count] of shapes) {
        const values = Array.from({ length: batch * classes }, (_, i) => Math.sin(i * 12.9898) * 2);
        const targets = Array.from({ length: batch * classes }, (_, i) =>
          i % classes < count ? (i * 7 + Math.floor(i / classes)) % classes : -1,
        );
        const input = make(values, [batch, classes]);
        const target = i32(targets, [batch, classes]);
        for (const reduction of ['none', 'mean', 'sum'] as const) {
          const gradShape = reduction === 'none' ? [batch] : [];
          const gradOutput = make(new Array(gradShape.length === 0 ? 1 : batch).fill(0.75), gradShape);
          const freshForward = await backend.forward(input, target, { reduction });
          const fresh = await backend.forwardBackward(input, target, gradOutput, { reduction });
          const Ctor = make === f32 ? Float32Array : Float64Array;
          const output = new Ctor(fresh.output.data.length).fill(Number.NaN);
          const gradInput = new Ctor(batch * classes).fill(123);
          const forward = await backend.forward(input, target, { reduction, out: { output } });
          expect(forward.data).toBe(output);
          expect(Array.from(output)).toEqual(Array.from(freshForward.data));
          // The fused loss is forward's, bit for bit.
          expect(Array.from(fresh.output.data)).toEqual(Array.from(freshForward.data));
          output.fill(Number.NaN);
          const backward = await backend.backward(input, target, gradOutput, {
            reduction,
            out: { gradInput },
          });
          expect(backward.data).toBe(gradInput);
          expect(Array.from(gradInput)).toEqual(Array.from(fresh.gradInput.data));
          gradInput.fill(-7);
          const both = await backend.forwardBackward(input, target, gradOutput, {
            reduction,
            out: { output, gradInput },
          });
          expect(both.output.data).toBe(output);
          expect(both.gradInput.data).toBe(gradInput);
          expect(Array.from(output)).toEqual(Array.from(fresh.output.data));
          expect(Array.from(gradInput)).toEqual(Array.from(fresh.gradInput.data));
        }
      }
    }
  });

  test('rows with few pairs (the direct loop): gradient bit-identical to the reference, and the loss too where every sum is exact', async () => {
    const backend = createCpuTsBackend();
    for (const make of [f32, f64]) {
      // J·C <= 48: 2x10, 4x12, 1x48; values on the margin edge and beside it. Quarters: every
      // sum of their terms is exact, so the loss cannot depend on the order pairs are summed in.
      for (const [classes, count] of [
        [10, 2],
        [12, 4],
        [48, 1],
      ] as const) {
        const values = Array.from({ length: 3 * classes }, (_, i) => ((i * 37) % 11) / 4 - 1.25);
        const targets = Array.from({ length: 3 * classes }, (_, i) =>
          i % classes < count ? (i * 5) % classes : -1,
        );
        const c: Case = {
          input: make(values, [3, classes]),
          target: i32(targets, [3, classes]),
          gradOutput: make([0.5, -2, 3], [3]),
          options: { reduction: 'none' },
        };
        const want = expected(c);
        const got = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
        expect(firstBitDifference(got.output.data, want.output)).toBe(-1);
        expect(firstBitDifference(got.gradInput.data, want.gradInput)).toBe(-1);
      }
    }
  });
  test('the direct loop on NaN, infinities and float64 values near the range end: the reference loss, gradient and fused loss', async () => {
    const backend = createCpuTsBackend();
    // J = 1, 3 and 5 (the unrolled loops' padding and the looped targets) on 9 classes; 1e302
    // is beyond what a padding target could hide (a margin of -1e300 would count it).
    const specials = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e302,
      -1e302,
      1.7e308,
      -1.7e308,
    ];
    for (const make of [f32, f64]) {
      for (const count of [1, 3, 5]) {
        for (const special of specials) {
          for (const at of [0, 4, 8]) {
            const values = Array.from({ length: 2 * 9 }, (_, i) => ((i * 7) % 9) / 3 - 1.4);
            values[at] = special; // row 0: a target (at 0) or a non-target
            const targets = Array.from({ length: 2 * 9 }, (_, i) => (i % 9 < count ? (i * 2) % 9 : -1));
            const c: Case = {
              input: make(values, [2, 9]),
              target: i32(targets, [2, 9]),
              gradOutput: make([1, 1], [2]),
              options: { reduction: 'none' },
            };
            const want = expected(c);
            const forward = await backend.forward(c.input, c.target, c.options);
            const both = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
            const label = `${make === f32 ? 'f32' : 'f64'} J=${count} x[${at}]=${special}`;
            const rtol = CPU_TS_CAPABILITIES.tolerance[make === f32 ? 'float32' : 'float64']!.rtol;
            expect(firstMismatch(forward.data, want.output, rtol), label).toBe(-1);
            expect(firstBitDifference(both.output.data, forward.data), label).toBe(-1);
            expect(firstBitDifference(both.gradInput.data, want.gradInput), label).toBe(-1);
          }
        }
      }
    }
  });
});
