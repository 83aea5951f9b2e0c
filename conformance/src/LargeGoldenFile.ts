import type { Dtype, FloatArray, Reduction, Tensor } from '@mlml/core-spec';
import type { GoldenGenerator } from './GoldenFile.js';
import type { SeededRecipe } from './seededProblem.js';

/** The `format` tag of a large golden file: seeded problems with PyTorch's results and checksums. */
export const LARGE_GOLDEN_FORMAT = 'mlml-golden-large-v1';

/**
 * What a large problem's gradient must give. Every entry of row n is a whole number of units
 * `g * grad_output[n]` (DESIGN §2), so the suite divides a backend's gradient by the unit, rounds
 * to the counts, checks each entry is that count times the unit (within tolerance), and compares
 * the counts' checksums exactly with PyTorch's (which the generator checked equal the exact ones).
 */
export interface LargeGradientExpectation {
  /** [N, C]. */
  readonly shape: readonly number[];
  /** Per row: sum over c of count[n, c] * (c % 65521 + 1). */
  readonly rowWeighted: readonly number[];
  /** Sum of count² over the tensor. */
  readonly squared: number;
  /** Entries with a nonzero count. */
  readonly nonzero: number;
  /** Flat indices of sampled entries. */
  readonly sampleIndex: readonly number[];
  /** PyTorch's gradient at those entries. */
  readonly samplePytorch: FloatArray;
  /** The exact gradient (rounded once) at those entries. */
  readonly sampleExact: FloatArray;
}

/** One large golden case: a recipe, a reduction, and the expected results. */
export interface LargeGoldenCase {
  /** Unique in its file, e.g. `large/many-classes-32x16384/sum/float32`. */
  readonly id: string;
  /** Free-form labels. */
  readonly tags: readonly string[];
  /** The precision. */
  readonly dtype: Dtype;
  /** How input, target and grad_output are generated. */
  readonly recipe: SeededRecipe;
  /** SHA-256 (hex) of the Python generator's arrays: input (little-endian, the dtype) and target (int32). */
  readonly sha256?: { readonly input: string; readonly target: string };
  /** The reduction of every call. */
  readonly reduction: Reduction;
  /** PyTorch's forward output. */
  readonly output: Tensor<FloatArray>;
  /** The exact forward output (rounded once). */
  readonly exactOutput: Tensor<FloatArray>;
  /** The gradient's checks. */
  readonly gradient: LargeGradientExpectation;
}

/** A decoded large golden file. */
export interface LargeGoldenFile {
  /** Always {@link LARGE_GOLDEN_FORMAT}. */
  readonly format: typeof LARGE_GOLDEN_FORMAT;
  /** Who wrote it. */
  readonly generator: GoldenGenerator;
  /** The cases, in file order. */
  readonly cases: readonly LargeGoldenCase[];
  /** Where it came from, for reports. */
  readonly source: string;
}
