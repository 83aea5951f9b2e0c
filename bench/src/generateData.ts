import type { Dtype, FloatArray, Tensor } from '@mlml/core-spec';
import type { BenchShape, ValueDistribution } from './shapes.js';

/** One bench problem: the input and target arrays every implementation receives. */
export interface BenchData {
  /** The shape it was generated for. */
  readonly shape: BenchShape;
  /** The input's precision. */
  readonly dtype: Dtype;
  /** `[N, C]` input values: uniform in [-2, 2), or the shape's tie-heavy distribution. */
  readonly input: Tensor<FloatArray>;
  /** `[N, C]` targets: per row J distinct classes in random order, then `-1`s. */
  readonly target: Tensor<Int32Array>;
}

/** The default seed of {@link generateData}. */
export const DEFAULT_SEED = 20240601;

/**
 * A small, fast, seeded 32-bit generator (mulberry32). Returns a function giving uniform numbers
 * in [0, 1) with 32 random bits.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes the shape into the seed so that every shape has its own stream (the same for both dtypes). */
function shapeSeed(shape: BenchShape, seed: number): number {
  let h = seed >>> 0;
  for (const value of [shape.batch, shape.classes, shape.targets]) {
    h = Math.imul(h ^ value, 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
  }
  return h;
}

/**
 * One input value of a distribution. Every distribution takes one number from the stream, so the
 * targets drawn after the values are the same whatever the distribution.
 */
function drawValue(values: ValueDistribution, random: () => number): number {
  const r = random();
  switch (values) {
    case 'uniform':
      return r * 4 - 2;
    case 'all-equal':
      return 0.5;
    case 'two-values':
      return r < 0.5 ? 0.25 : 0.75;
    case 'small-integers':
      return Math.floor(r * 7) - 3;
  }
}

/**
 * Generates a problem deterministically from `(shape, seed)`: the same call always gives the same
 * arrays, and the float32 input is the float64 input rounded to float32.
 */
export function generateData(shape: BenchShape, dtype: Dtype, seed: number = DEFAULT_SEED): BenchData {
  const { batch, classes, targets } = shape;
  if (!(Number.isInteger(targets) && targets >= 0 && targets <= classes)) {
    throw new RangeError(`J must be an integer in [0, C]; got J=${targets}, C=${classes}`);
  }
  const random = seededRandom(shapeSeed(shape, seed));
  const size = batch * classes;
  const input = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const target = new Int32Array(size).fill(-1);
  const permutation = new Int32Array(classes);
  for (let c = 0; c < classes; c++) permutation[c] = c;
  for (let n = 0; n < batch; n++) {
    const offset = n * classes;
    for (let c = 0; c < classes; c++) input[offset + c] = drawValue(shape.values ?? 'uniform', random);
    // Partial Fisher-Yates: the first J entries of the permutation become J distinct classes.
    for (let j = 0; j < targets; j++) {
      const k = j + Math.floor(random() * (classes - j));
      const picked = permutation[k]!;
      permutation[k] = permutation[j]!;
      permutation[j] = picked;
      target[offset + j] = picked;
    }
  }
  return {
    shape,
    dtype,
    input: { data: input, shape: [batch, classes] },
    target: { data: target, shape: [batch, classes] },
  };
}
