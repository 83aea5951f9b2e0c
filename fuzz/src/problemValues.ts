import type { CallRecipe, FuzzDtype } from './CallRecipe.js';
import { seededStream } from './seededStream.js';

/** The well-formed problem a recipe describes, as plain numbers (before any corruption). */
export interface ProblemValues {
  /** N·C input values, already representable in the dtype. */
  readonly values: number[];
  /** N·C targets: J classes, a -1, then anything in [-1, C - 1]. */
  readonly targets: number[];
  /** grad_output values: N for `none` on rank 2, else 1. */
  readonly grads: number[];
}

const SPECIAL_FLOAT32 = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e38,
  -1e38,
  3.4028234663852886e38,
  -3.4028234663852886e38,
  1.401298464324817e-45,
  -1.401298464324817e-45,
  1e-40,
  1,
  -1,
];
const SPECIAL_FLOAT64 = [...SPECIAL_FLOAT32, 1e300, -1e300, 5e-324, 1.7976931348623157e308];

/** The value next to `value` in `dtype` towards +inf (`direction` 1) or -inf (-1). */
export function nextValue(dtype: FuzzDtype, value: number, direction: 1 | -1): number {
  if (!Number.isFinite(value)) return value;
  if (dtype === 'float32') {
    const f = new Float32Array([value]);
    const bits = new Int32Array(f.buffer);
    if (value === 0) bits[0] = direction > 0 ? 1 : 0x80000001 | 0;
    else bits[0]! += value > 0 === direction > 0 ? 1 : -1;
    return f[0]!;
  }
  const f = new Float64Array([value]);
  const bits = new BigInt64Array(f.buffer);
  if (value === 0) bits[0] = direction > 0 ? 1n : -0x7fffffffffffffffn;
  else bits[0]! += value > 0 === direction > 0 ? 1n : -1n;
  return f[0]!;
}

/** Whether a recipe's forward output is one value per sample (`none` on rank-2 input). */
export function perSampleOutput(recipe: CallRecipe): boolean {
  const none = recipe.reduction === 'none' || recipe.reduction === 'legacy-none';
  return none && recipe.rank === 2;
}

/** Builds the recipe's input values, targets and grad_output from its seed. */
export function problemValues(recipe: CallRecipe): ProblemValues {
  const { batch, classes, maxTargets, style, dtype } = recipe;
  const random = seededStream(recipe.seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const specials = dtype === 'float32' ? SPECIAL_FLOAT32 : SPECIAL_FLOAT64;
  const size = batch * classes;
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const u = random();
    let v: number;
    if (style === 'ties') v = [0, 0.5, 1][Math.floor(u * 3)]!;
    else if (style === 'integers') v = Math.floor(u * 7) - 3;
    else if (style === 'special' && random() < 0.2) v = specials[Math.floor(u * specials.length)]!;
    else v = u * 6 - 3;
    values.push(round(v));
  }
  const targets: number[] = [];
  for (let n = 0; n < batch; n++) {
    const count = Math.floor(random() * (maxTargets + 1));
    for (let c = 0; c < classes; c++) {
      if (c < count) targets.push(Math.floor(random() * classes));
      else if (c === count) targets.push(-1);
      else targets.push(Math.floor(random() * (classes + 1)) - 1);
    }
    // Borderline: non-targets exactly on a target's threshold -fl(1 - x[y]) or one step beside it.
    if (style === 'borderline' && count > 0) {
      const y = targets[n * classes]!;
      const threshold = -round(1 - values[n * classes + y]!);
      for (let c = 0; c < classes; c++) {
        if (random() < 0.4) {
          const step = Math.floor(random() * 3) - 1;
          values[n * classes + c] = step === 0 ? threshold : nextValue(dtype, threshold, step as 1 | -1);
        }
      }
    }
  }
  const gradCount = perSampleOutput(recipe) ? batch : 1;
  const grads: number[] = [];
  for (let i = 0; i < gradCount; i++) {
    const u = random();
    grads.push(round(u < 0.1 ? 0 : u < 0.2 ? 1 : u * 4 - 2));
  }
  return { values, targets, grads };
}
