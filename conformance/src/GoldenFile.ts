import type { Dtype, FloatArray, LossOptions, Tensor } from '@mlml/core-spec';

/** The `format` tag of a golden-vector file (DESIGN §4). */
export const GOLDEN_FORMAT = 'mlml-golden-v1';

/** Who wrote a golden file: `pytorch` (the generator script), `hand`, or anyone's tool. */
export interface GoldenGenerator {
  /** The tool, e.g. `pytorch` or `hand`. */
  readonly name: string;
  /** Its version, e.g. torch's `1.13.1`. */
  readonly version?: string;
  /** The script that wrote the file, relative to the repository. */
  readonly script?: string;
  /** The random seed the script used. */
  readonly seed?: number | string;
  /**
   * The build that computed the values as it reports itself, e.g. `{ torch_version: '1.13.0a0',
   * git_version: 'Unknown', package: 'python3-torch 1.13.1+dfsg-4' }` (strings only).
   */
  readonly build?: Readonly<Record<string, string>>;
}

/**
 * Options of a golden case. Like {@link LossOptions}, except that `reduction` may be any string,
 * so that error cases can hold an invalid one.
 */
export interface GoldenOptions {
  /** `none`, `mean`, `sum`, or (in an error case) anything else. */
  readonly reduction?: string;
  /** Deprecated PyTorch option. */
  readonly size_average?: boolean | null;
  /** Deprecated PyTorch option. */
  readonly reduce?: boolean | null;
}

/** DESIGN §2's exact values of a case: exact sums of the counted terms, rounded once to the dtype. */
export interface ExactValues {
  /** The forward output. */
  readonly output: Tensor<FloatArray>;
  /** The gradient w.r.t. the input, present exactly when the case has `grad_output`. */
  readonly gradInput?: Tensor<FloatArray>;
}

/** What a successful case must produce. */
export interface GoldenValues {
  /** Discriminant. */
  readonly kind: 'values';
  /** The forward output (PyTorch's, in a PyTorch file). */
  readonly output: Tensor<FloatArray>;
  /** The gradient w.r.t. the input, present exactly when the case has `grad_output`. */
  readonly gradInput?: Tensor<FloatArray>;
  /**
   * The exact values (`expected.exact` in the file: DESIGN §2's sums in exact arithmetic, rounded
   * once, written by the generator). A backend is held to these within the tolerance it declares.
   * Absent in a file that gives only PyTorch's (or hand-rounded) numbers: those are then held to
   * `output`/`gradInput` within the declared tolerance plus `PYTORCH_DRIFT`.
   */
  readonly exact?: ExactValues;
}

/** A call that must be refused with a `LossError` of this code. */
export interface GoldenError {
  /** Discriminant. */
  readonly kind: 'error';
  /** The expected `LossError.code`, e.g. `TARGET_OUT_OF_RANGE`. */
  readonly code: string;
}

/** One decoded golden case: typed arrays, non-finite strings turned into numbers. */
export interface GoldenCase {
  /** Unique within its file; its first `/`-separated segment is its group. */
  readonly id: string;
  /** Free-form labels. */
  readonly tags: readonly string[];
  /** The precision of input, grad_output and results. */
  readonly dtype: Dtype;
  /** The input: Float32Array or Float64Array by `dtype`. */
  readonly input: Tensor<FloatArray>;
  /** The target class indices. */
  readonly target: Tensor<Int32Array>;
  /** The options the call is made with (`{}`: the defaults). */
  readonly options: GoldenOptions;
  /** The incoming gradient; when present the gradient is checked too. */
  readonly gradOutput?: Tensor<FloatArray>;
  /** The expected values, or the expected error. */
  readonly expected: GoldenValues | GoldenError;
}

/** A decoded `mlml-golden-v1` file. */
export interface GoldenFile {
  /** Always {@link GOLDEN_FORMAT}. */
  readonly format: typeof GOLDEN_FORMAT;
  /** Who wrote it. */
  readonly generator: GoldenGenerator;
  /** The cases, in file order. */
  readonly cases: readonly GoldenCase[];
  /** Where it came from (a path or a name), for reports. */
  readonly source: string;
}

/** The group of a case: the first segment of its id (`random/valid/...` -> `random`). */
export function caseGroup(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}

/** The options of a case as a backend takes them. */
export function toLossOptions(options: GoldenOptions): LossOptions {
  // An invalid reduction string is passed through on purpose: the backend must refuse it.
  return options as LossOptions;
}
