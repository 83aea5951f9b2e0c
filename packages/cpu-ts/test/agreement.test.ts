import type { Dtype, FloatArray, LossOptions, Reduction } from '@mlml/core-spec';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CPU_TS_CAPABILITIES, createCpuTsBackend } from '../src/index.js';
import { type Case, expected, firstBitDifference, firstMismatch, nextFloat32, snapshot } from './helpers.js';

const RTOL: Record<Dtype, number> = {
  float32: CPU_TS_CAPABILITIES.tolerance.float32!.rtol,
  float64: CPU_TS_CAPABILITIES.tolerance.float64!.rtol,
};

/** Values that stress the kernel: ties, exact-zero margins, NaN, infinities, huge and tiny magnitudes. */
const SPECIAL_VALUES = [
  0,
  -0,
  1,
  -1,
  2,
  0.5,
  1.5,
  -0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e30,
  -1e30,
  3e38,
  -3e38,
  2 ** 103,
  1e-30,
  -1e-30,
  1e-45,
  1e300,
  -1e300,
  1e-300,
];

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }).map((v) => v / 2) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
);

const reductionArb = fc.constantFrom<Reduction>('none', 'mean', 'sum');
const optionsArb: fc.Arbitrary<LossOptions> = fc.oneof(
  { weight: 5, arbitrary: reductionArb.map((reduction) => ({ reduction })) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        size_average: fc.constantFrom(true, false, null),
        reduce: fc.constantFrom(true, false, null),
        reduction: reductionArb,
      },
      { requiredKeys: [] },
    ),
  },
);
const gradValueArb = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1, -1, 0, -0, Number.POSITIVE_INFINITY, -2.5, 1e-300) },
);

function makeArray(dtype: Dtype, values: readonly number[]): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

interface CaseSpec {
  dtype: Dtype;
  rank: 0 | 1 | 2;
  batch: number;
  classes: number;
  values: number[];
  targets: number[];
  borderline: [number, number, -1 | 0 | 1][];
  options: LossOptions;
  grads: number[];
}

/** Builds a call from a spec; borderline entries set x[d] to -fl(1 - x[y]) or a neighbour. */
function buildCase(spec: CaseSpec): Case {
  const { dtype, rank, batch, classes, options } = spec;
  const values = spec.values.map((v) => (dtype === 'float32' ? Math.fround(v) : v));
  for (const [row, pick, shift] of spec.borderline) {
    if (batch === 0) break;
    const n = row % batch;
    const y = spec.targets[n * classes]!;
    if (y < 0) continue;
    const d = pick % classes;
    const xy = values[n * classes + y]!;
    const round = dtype === 'float32' ? Math.fround : (v: number) => v;
    let xd = -round(1 - xy);
    if (shift !== 0) xd = dtype === 'float32' ? nextFloat32(xd, shift) : xd + shift * Math.abs(xd) * 2 ** -52;
    values[n * classes + d] = xd;
  }
  const shape = rank === 0 ? [] : rank === 1 ? [classes] : [batch, classes];
  const gradShape = rank === 2 && isNone(options) ? [batch] : [];
  const gradLength = gradShape.length === 0 ? 1 : batch;
  const grads = Array.from({ length: gradLength }, (_, i) => spec.grads[i % spec.grads.length]!);
  return {
    input: { data: makeArray(dtype, values), shape },
    target: { data: Int32Array.from(spec.targets), shape },
    gradOutput: { data: makeArray(dtype, grads), shape: gradShape },
    options,
  };
}

function isNone(options: LossOptions): boolean {
  const reduce = options.reduce ?? null;
  const sizeAverage = options.size_average ?? null;
  if (reduce !== null || sizeAverage !== null) return reduce === false;
  return options.reduction === 'none';
}

/** A call of any rank, with targets that have -1 anywhere, duplicates and values after -1. */
function caseArb(maxClasses: number, minusOneWeight: number): fc.Arbitrary<Case> {
  return fc
    .record({
      dtype: fc.constantFrom<Dtype>('float32', 'float64'),
      rank: fc.constantFrom<0 | 1 | 2>(0, 1, 2, 2, 2),
      batch: fc.integer({ min: 0, max: 4 }),
      classes: fc.integer({ min: 1, max: maxClasses }),
    })
    .chain(({ dtype, rank, batch, classes }) => {
      const c = rank === 0 ? 1 : classes;
      const n = rank === 2 ? batch : 1;
      return fc.record({
        dtype: fc.constant(dtype),
        rank: fc.constant(rank),
        batch: fc.constant(n),
        classes: fc.constant(c),
        values: fc.array(valueArb, { minLength: n * c, maxLength: n * c }),
        targets: fc.array(
          fc.oneof(
            { weight: minusOneWeight, arbitrary: fc.constant(-1) },
            { weight: 10, arbitrary: fc.integer({ min: 0, max: c - 1 }) },
          ),
          { minLength: n * c, maxLength: n * c },
        ),
        borderline: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom<-1 | 0 | 1>(-1, 0, 1)), {
          maxLength: 6,
        }),
        options: optionsArb,
        grads: fc.array(gradValueArb, { minLength: 1, maxLength: 4 }),
      });
    })
    .map(buildCase);
}

async function checkAgainstReference(c: Case, backend = createCpuTsBackend()): Promise<void> {
  const before = snapshot(c);
  const targetBefore = c.target.data.slice();
  const forward = await backend.forward(c.input, c.target, c.options);
  const backward = await backend.backward(c.input, c.target, c.gradOutput, c.options);
  const fused = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
  expect(firstBitDifference(c.input.data, before[0]!)).toBe(-1);
  expect(firstBitDifference(c.gradOutput.data, before[1]!)).toBe(-1);
  expect(Array.from(c.target.data)).toEqual(Array.from(targetBefore));
  const batch = c.input.shape.length === 2 ? c.input.shape[0]! : 1;
  if (batch === 0) {
    expect(backward.data.length).toBe(0);
    return;
  }
  const want = expected(c);
  const dtype: Dtype = c.input.data instanceof Float32Array ? 'float32' : 'float64';
  // The fused loss is forward's to the bit (NaN meets NaN; -0 and 0 told apart).
  expect(firstBitDifference(fused.output.data, forward.data)).toBe(-1);
  for (const output of [forward, fused.output]) {
    expect(output.data.constructor).toBe(c.input.data.constructor);
    const at = firstMismatch(output.data, want.output, RTOL[dtype]);
    expect(at, `output[${at}] = ${output.data[at]} vs reference ${want.output[at]}`).toBe(-1);
  }
  for (const grad of [backward, fused.gradInput]) {
    expect(grad.shape).toEqual(c.input.shape);
    const at = firstBitDifference(grad.data, want.gradInput);
    expect(at, `grad[${at}] = ${grad.data[at]} vs reference ${want.gradInput[at]}`).toBe(-1);
  }
}

describe('cpu-ts agrees with the core-spec reference', () => {
  // One backend for every case: its scratch is reused across shapes, dtypes and reductions.
  const shared = createCpuTsBackend();

  test('narrow rows (up to 12 classes): every rank, reduction, dtype and special value', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(12, 3), (c) => checkAgainstReference(c, shared)),
      { numRuns: 2500, seed: 20261129 },
    );
  });

  test('rows with more than 8 targets (bucketed and searched counts)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(60, 1), (c) => checkAgainstReference(c, shared)),
      { numRuns: 600, seed: 7 },
    );
  });

  test('wide rows with long target lists, ties and clustered thresholds', async () => {
    const wide = fc
      .record({
        dtype: fc.constantFrom<Dtype>('float32', 'float64'),
        batch: fc.integer({ min: 1, max: 3 }),
        classes: fc.integer({ min: 9, max: 300 }),
        seed: fc.nat(),
        targetFraction: fc.double({ min: 0.03, max: 1, noNaN: true }),
        distinctValues: fc.constantFrom(0, 3, 20),
        reduction: reductionArb,
      })
      .map(({ dtype, batch, classes, seed, targetFraction, distinctValues, reduction }) => {
        let state = seed | 1;
        const random = () => {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          return (state >>> 0) / 2 ** 32;
        };
        const values: number[] = [];
        for (let i = 0; i < batch * classes; i++) {
          const v =
            distinctValues === 0 ? (random() - 0.5) * 6 : Math.floor(random() * distinctValues) / 4 - 1;
          values.push(random() < 0.002 ? Number.NaN : v);
        }
        const targets: number[] = [];
        const targetCount = Math.max(9, Math.floor(targetFraction * classes));
        for (let n = 0; n < batch; n++)
          for (let j = 0; j < classes; j++)
            targets.push(j < targetCount ? Math.floor(random() * classes) : random() < 0.5 ? -1 : 0);
        const none = reduction === 'none';
        const grads = Array.from({ length: none ? batch : 1 }, () => random() * 4 - 2);
        return {
          input: { data: makeArray(dtype, values), shape: [batch, classes] },
          target: { data: Int32Array.from(targets), shape: [batch, classes] },
          gradOutput: { data: makeArray(dtype, grads), shape: none ? [batch] : [] },
          options: { reduction },
        } satisfies Case;
      });
    await fc.assert(
      fc.asyncProperty(wide, (c) => checkAgainstReference(c, shared)),
      { numRuns: 300, seed: 99 },
    );
  });
});
