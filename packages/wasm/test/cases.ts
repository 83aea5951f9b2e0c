import {
  type Dtype,
  type FloatArray,
  type LossOptions,
  type Reduction,
  referenceBackward,
  referenceForward,
  type Tensor,
  validateBackward,
} from '@mlml/core-spec';
import fc from 'fast-check';

/** One random call: input, target, grad_output and options. */
export interface Case {
  readonly input: Tensor<FloatArray>;
  readonly target: Tensor<Int32Array>;
  readonly gradOutput: Tensor<FloatArray>;
  readonly options: LossOptions;
}

const SPECIAL = [Number.NaN, Infinity, -Infinity, 3e38, -3e38, 1e30, -1e30, 1e-40, -1e-40, 0, -0];

/** Values: mostly ordinary, with ties, borderline margins, specials, huge and tiny numbers. */
function valueArbitrary(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) },
    { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }).map((v) => v / 2) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 1, arbitrary: fc.double({ noNaN: false }) },
  );
}

/** The float32 value one ulp above (`+1`) or below (`-1`) `v`. */
export function nextFloat32(v: number, direction: 1 | -1): number {
  const f = new Float32Array([v]);
  const i = new Int32Array(f.buffer);
  if (v === 0) {
    i[0] = 1;
    return direction * f[0]!;
  }
  i[0]! += v > 0 === direction > 0 ? 1 : -1;
  return f[0]!;
}

/**
 * Random calls of every kind: both dtypes, ranks 0/1/2, C from 1 up to `maxClasses` (not only
 * multiples of the SIMD width), J from 0 to C, duplicates, -1 anywhere with valid values after
 * it, borderline float32 margins, specials, every reduction and legacy option, and grad_output
 * negative, zero, infinite or per sample.
 */
export function caseArbitrary(maxClasses = 40, maxBatch = 5): fc.Arbitrary<Case> {
  return fc
    .record({
      dtype: fc.constantFrom<Dtype>('float32', 'float64'),
      rank: fc.constantFrom(0, 1, 2, 2, 2),
      batch: fc.integer({ min: 1, max: maxBatch }),
      classes: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: maxClasses })),
      reduction: fc.constantFrom<Reduction>('none', 'mean', 'sum'),
      legacy: fc.option(
        fc.record({ size_average: fc.option(fc.boolean()), reduce: fc.option(fc.boolean()) }),
        { freq: 5 },
      ),
      seed: fc.integer(),
      valuesSeed: fc.array(valueArbitrary(), { minLength: 64, maxLength: 64 }),
      gradKind: fc.constantFrom('one', 'random', 'negative', 'zero', 'inf', 'nan'),
      specialRate: fc.constantFrom(0, 0, 0.05, 0.3),
    })
    .map((r) => buildCase(r));
}

interface CaseRecipe {
  dtype: Dtype;
  rank: number;
  batch: number;
  classes: number;
  reduction: Reduction;
  legacy: { size_average: boolean | null; reduce: boolean | null } | null;
  seed: number;
  valuesSeed: number[];
  gradKind: string;
  specialRate: number;
}

/** A small deterministic generator (mulberry32) so a case is a pure function of its recipe. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildCase(r: CaseRecipe): Case {
  const rnd = random(r.seed);
  const classes = r.rank === 0 ? 1 : r.classes;
  const batch = r.rank === 2 ? r.batch : 1;
  const inputShape = r.rank === 0 ? [] : r.rank === 1 ? [classes] : [batch, classes];
  const size = batch * classes;
  const round = r.dtype === 'float32' ? Math.fround : (v: number) => v;
  const x = r.dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const t = new Int32Array(size);
  for (let n = 0; n < batch; n++) {
    const o = n * classes;
    for (let d = 0; d < classes; d++) {
      x[o + d] =
        rnd() < r.specialRate ? r.valuesSeed[Math.floor(rnd() * r.valuesSeed.length)]! : round(rnd() * 6 - 3);
    }
    // Targets: J from 0 to C, some duplicated, then -1 and anything valid after it.
    const j = Math.floor(rnd() * (classes + 1));
    for (let i = 0; i < classes; i++) {
      if (i < j)
        t[o + i] = rnd() < 0.2 && i > 0 ? t[o + Math.floor(rnd() * i)]! : Math.floor(rnd() * classes);
      else if (i === j) t[o + i] = -1;
      else t[o + i] = Math.floor(rnd() * (classes + 1)) - 1;
    }
    // Borderline margins: x[d] = -fl(1 - x[y]) exactly, or one ulp either side.
    if (j > 0 && rnd() < 0.5) {
      const y = t[o]!;
      for (let d = 0; d < classes; d++) {
        if (rnd() < 0.5) continue;
        const border = -round(1 - x[o + y]!);
        const pick = rnd();
        if (r.dtype === 'float32' && Number.isFinite(border)) {
          x[o + d] = pick < 0.4 ? border : nextFloat32(border, pick < 0.7 ? 1 : -1);
        } else {
          x[o + d] = border;
        }
      }
    }
  }
  const options: LossOptions = { reduction: r.reduction };
  if (r.legacy) {
    options.size_average = r.legacy.size_average;
    options.reduce = r.legacy.reduce;
  }
  const legacySet = r.legacy && (r.legacy.size_average != null || r.legacy.reduce != null);
  const reduction = legacySet
    ? r.legacy!.reduce === false
      ? 'none'
      : r.legacy!.size_average === false
        ? 'sum'
        : 'mean'
    : r.reduction;
  const outputShape = reduction === 'none' && r.rank === 2 ? [batch] : [];
  const outputSize = outputShape.length === 0 ? 1 : batch;
  const g = r.dtype === 'float32' ? new Float32Array(outputSize) : new Float64Array(outputSize);
  for (let i = 0; i < outputSize; i++) {
    g[i] =
      r.gradKind === 'one'
        ? 1
        : r.gradKind === 'negative'
          ? -round(rnd() * 3 + 0.1)
          : r.gradKind === 'zero'
            ? 0
            : r.gradKind === 'inf'
              ? (i % 2 ? -1 : 1) * Infinity
              : r.gradKind === 'nan'
                ? Number.NaN
                : round(rnd() * 4 - 2);
  }
  return {
    input: { data: x, shape: inputShape },
    target: { data: t, shape: r.rank === 2 ? [batch, classes] : [classes] },
    gradOutput: { data: g, shape: outputShape },
    options,
  };
}

/** The reference's output and gradient for a case. */
export function referenceOf(c: Case): { output: FloatArray; gradInput: FloatArray } {
  const problem = validateBackward(c.input, c.target, c.gradOutput, c.options);
  return { output: referenceForward(problem), gradInput: referenceBackward(problem) };
}

/** Whether two arrays hold the same values bit for bit (NaN equals NaN, 0 equals -0). */
export function sameValues(actual: FloatArray, expected: FloatArray): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) return `[${i}]: ${a} != ${e}`;
  }
  return undefined;
}

/** Whether `actual` is within `rtol`/`atol` of `expected`, with non-finite values equal exactly. */
export function closeValues(
  actual: FloatArray,
  expected: FloatArray,
  rtol: number,
  atol: number,
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) return `[${i}]: ${a} != ${e}`;
    } else if (Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      return `[${i}]: ${a} vs ${e} (diff ${Math.abs(a - e)})`;
    }
  }
  return undefined;
}
