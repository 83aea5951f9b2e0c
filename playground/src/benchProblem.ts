import { DEFAULT_SEED, generateData } from '@mlml/bench/data';
import type { Tensor } from '@mlml/loss';

/** A bench shape: N samples of C classes with J distinct targets each. */
export interface BenchShape {
  /** Shown in the table and chart. */
  readonly label: string;
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** J. */
  readonly targets: number;
}

/** The preset shapes of the Compare tab (the bench's small, typical and big-batch shapes). */
export const PRESET_SHAPES: readonly BenchShape[] = [
  { label: 'small 32×10 J=2', batch: 32, classes: 10, targets: 2 },
  { label: 'typical 1024×1000 J=5', batch: 1024, classes: 1000, targets: 5 },
  { label: 'big batch 65536×128 J=3', batch: 65536, classes: 128, targets: 3 },
];

/** The largest problem the page generates: 2^24 elements (64 MB of input and 64 MB of targets). */
export const MAX_BENCH_ELEMENTS = 2 ** 24;

/**
 * Checks a shape before anything is allocated.
 * @throws {RangeError} unless 1 ≤ N, 1 ≤ C and 0 ≤ J ≤ C are integers and N×C ≤ {@link MAX_BENCH_ELEMENTS}.
 */
export function checkBenchShape(shape: BenchShape): void {
  const { batch, classes, targets } = shape;
  const ok = [batch, classes, targets].every(Number.isInteger) && batch >= 1 && classes >= 1;
  if (!ok || targets < 0 || targets > classes) {
    throw new RangeError(`need integers N ≥ 1, C ≥ 1, 0 ≤ J ≤ C; got N=${batch}, C=${classes}, J=${targets}`);
  }
  if (batch * classes > MAX_BENCH_ELEMENTS) {
    throw new RangeError(`N×C = ${batch * classes} is more than this page generates (${MAX_BENCH_ELEMENTS})`);
  }
}

/**
 * A float32 problem of the shape, made by the bench's own generator (`@mlml/bench/data`): inputs
 * uniform in [-2, 2), per row J distinct classes, then -1s; the same for the same seed.
 * @throws {RangeError} for a shape {@link checkBenchShape} rejects.
 */
export function benchProblem(
  shape: BenchShape,
  seed = DEFAULT_SEED,
): { input: Tensor<Float32Array>; target: Tensor<Int32Array> } {
  checkBenchShape(shape);
  const { input, target } = generateData({ ...shape, id: 'page', group: 'grid' }, 'float32', seed);
  return { input: input as Tensor<Float32Array>, target };
}
