import type { Dtype, FloatArray, Reduction, Tensor } from '@mlml/core-spec';
import { scaledIndex, seededWords } from './seededWords.js';

/**
 * How a large golden problem is generated (the `recipe` of `pytorch-large.json`), identically by
 * conformance/scripts/seeded_problems.py and {@link makeSeededProblem}.
 */
export interface SeededRecipe {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** Selects the streams (stream k of the recipe is seed * 8 + k). */
  readonly seed: number;
  /** `spread`: ±(1 + m/2^23)·2^-e, e in 0..7 (float64: a 52-bit m); `ties`: values in {-1, -0.5, 0, 0.5, 1}. */
  readonly values: 'spread' | 'ties';
  /** J per row: a list used in turn, or a uniform count in [from, to]; capped at C. */
  readonly targets: readonly number[] | { readonly from: number; readonly to: number };
  /**
   * Borderline placements per row: a non-target set to -fl(1 - x[y]) for one of the row's targets y
   * (a term exactly 0 in the dtype, often positive in exact arithmetic), or one ulp above or below.
   * @default 0
   */
  readonly borderline?: number;
}

/** A generated problem: input and target of shape [N, C] and each row's J. */
export interface SeededProblem {
  /** [N, C] in the dtype. */
  readonly input: Tensor<FloatArray>;
  /** [N, C]: J targets, then -1, then anything in [-1, C-1] (ignored). */
  readonly target: Tensor<Int32Array>;
  /** J of each row. */
  readonly targetCounts: Int32Array;
}

/** Builds the problem of a recipe, bit for bit as the Python generator does. */
export function makeSeededProblem(recipe: SeededRecipe, dtype: Dtype): SeededProblem {
  const { batch, classes, seed } = recipe;
  const size = batch * classes;
  const x = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const words = seededWords(seed * 8 + 1, size);
  if (recipe.values === 'ties') {
    for (let i = 0; i < size; i++) x[i] = ((words[i]! % 5) - 2) * 0.5;
  } else {
    const extra = dtype === 'float64' ? seededWords(seed * 8 + 2, size) : undefined;
    for (let i = 0; i < size; i++) {
      const w = words[i]!;
      const low = w & 0x7fffff;
      const fraction = extra === undefined ? low / 2 ** 23 : (low * 2 ** 29 + (extra[i]! >>> 3)) / 2 ** 52;
      x[i] = (w >>> 31 ? -1 : 1) * (1 + fraction) * 2 ** -((w >>> 23) & 7);
    }
  }
  const counts = new Int32Array(batch);
  const spec = recipe.targets;
  if (Array.isArray(spec)) {
    for (let n = 0; n < batch; n++) counts[n] = Math.min(spec[n % spec.length]!, classes);
  } else {
    const range = spec as { readonly from: number; readonly to: number };
    const span = range.to - range.from + 1;
    const countWords = seededWords(seed * 8 + 3, batch);
    for (let n = 0; n < batch; n++) {
      counts[n] = Math.min(range.from + scaledIndex(countWords[n]!, span), classes);
    }
  }
  const t = new Int32Array(size);
  const targetWords = seededWords(seed * 8 + 4, size);
  for (let n = 0; n < batch; n++) {
    const j = counts[n]!;
    for (let c = 0; c < classes; c++) {
      const w = targetWords[n * classes + c]!;
      t[n * classes + c] = c < j ? scaledIndex(w, classes) : c === j ? -1 : scaledIndex(w, classes + 1) - 1;
    }
  }
  const placements = recipe.borderline ?? 0;
  if (placements > 0) {
    const round = dtype === 'float32' ? Math.fround : (v: number) => v;
    const next = dtype === 'float32' ? nextFloat32 : nextFloat64;
    const bw = seededWords(seed * 8 + 5, batch * placements * 2);
    for (let n = 0; n < batch; n++) {
      const j = counts[n]!;
      if (j === 0) continue;
      const row = n * classes;
      const firsts = new Set(t.subarray(row, row + j));
      for (let k = 0; k < placements; k++) {
        const y = t[row + scaledIndex(bw[(n * placements + k) * 2]!, j)]!;
        const a = round(1 - x[row + y]!);
        if (a === 0) continue;
        const p = scaledIndex(bw[(n * placements + k) * 2 + 1]!, classes);
        if (firsts.has(p)) continue;
        const variant = k % 3;
        x[row + p] = variant === 0 ? -a : next(-a, variant === 1);
      }
    }
  }
  return {
    input: { data: x, shape: [batch, classes] },
    target: { data: t, shape: [batch, classes] },
    targetCounts: counts,
  };
}

/** The grad_output of a recipe's case: ±[0.5, 1) per sample (`none`) or one scalar. */
export function makeSeededGradOutput(
  recipe: SeededRecipe,
  dtype: Dtype,
  reduction: Reduction,
): Tensor<FloatArray> {
  const count = reduction === 'none' ? recipe.batch : 1;
  const words = seededWords(recipe.seed * 8 + 6, count);
  const data = dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    data[i] = (w >>> 31 ? -1 : 1) * (1 + (w & 0x7fffff) / 2 ** 23) * 0.5;
  }
  return { data, shape: reduction === 'none' ? [recipe.batch] : [] };
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bits = new BigInt64Array(f64.buffer);

/** The float32 next to a nonzero float32 `value`, up or down. */
function nextFloat32(value: number, up: boolean): number {
  f32[0] = value;
  f32Bits[0] = f32Bits[0]! + (value > 0 === up ? 1 : -1);
  return f32[0]!;
}

/** The double next to a nonzero double `value`, up or down. */
function nextFloat64(value: number, up: boolean): number {
  f64[0] = value;
  f64Bits[0] = f64Bits[0]! + (value > 0 === up ? 1n : -1n);
  return f64[0]!;
}
