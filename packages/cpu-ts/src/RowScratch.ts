/**
 * Working memory for one row of the kernel, kept between rows and between calls so the hot path
 * allocates nothing. Every array grows (never shrinks) to fit the widest row seen; a row of C
 * classes has at most C targets, so C bounds every size.
 */
export class RowScratch {
  /** Capacity in classes. */
  #capacity = 0;
  /** The current row's input values, as float64. */
  row = new Float64Array(0);
  /** The current row's gradient, as float64, before it is stored in the output's dtype. */
  gradientRow = new Float64Array(0);
  /** Per class: how many thresholds lie strictly below its input value (0 at target classes). */
  counts = new Int32Array(0);
  /**
   * The row's non-NaN thresholds `-fl(1 - x[y_j])`, one per target occurrence, sorted ascending,
   * followed by `+Infinity` padding (at least {@link THRESHOLD_PADDING} entries).
   */
  thresholds = new Float64Array(0);
  /**
   * `below[k]` is the k-th smallest threshold `thresholds[k - 1]` (with the same +inf padding);
   * `below[0]` is 0.
   */
  below = new Float64Array(0);
  /** `gapSums[k] = sum over i < k of (thresholds[k - 1] - thresholds[i])`, all parts non-negative. */
  gapSums = new Float64Array(0);
  /** Per target occurrence j: its threshold, in target order (NaN kept). */
  occurrenceThresholds = new Float64Array(0);
  /** The row's target classes, sorted ascending (duplicates kept). */
  targetClasses = new Int32Array(0);
  /** First a histogram of counts, then `above[r]`: how many classes pass at least r thresholds. */
  above = new Int32Array(0);
  /** Per target class: minus the number of counted pairs it takes part in. */
  targetCounts = new Float64Array(0);
  /** The forward relu loops' thresholds: the row's sorted thresholds, padded to 8 with a finite pad. */
  readonly paddedThresholds = new Float64Array(8);
  /** The forward loop's bucket table (see forwardTable.ts); grown on demand. */
  forwardTable = new Float64Array(0);
  /** The forward path's thresholds as gathered, before sorting (see compactTable.ts). */
  gathered = new Float64Array(0);
  /** Per class: 1 while it is one of the current row's target classes (forward path). */
  targetMarks = new Uint8Array(0);
  /** Per class: 0 while it is one of the current row's target classes, else 1 (direct rows' loss). */
  keepWeights = new Float64Array(0);
  /** The compact table's records (see compactTable.ts); grown on demand. */
  compactRecords = new Float64Array(0);
  /** The compact table's bucket starts (and the counting sort's bucket ends); grown on demand. */
  compactStart = new Int32Array(0);
  /** Compact table geometry of the current row: the lowest threshold. */
  compactLowest = 0;
  /** Buckets per unit of input value (0 when the row has one distinct threshold). */
  compactScale = 0;
  /** The last bucket index. */
  compactTop = 0;
  /** Values at or below this take the checked path. */
  compactFloor = 0;
  /** Values at or above this take the checked path. */
  compactCeiling = 0;
  /** Bucket table of the bucketed count. */
  bucketStart = new Int32Array(0);
  /** Bucket table geometry of the current row: the lowest threshold. */
  bucketLowest = 0.5;
  /** Buckets per unit of input value. */
  bucketScale = 0.5;
  /** The last bucket index (values above the highest threshold). */
  bucketTop = 0;
  /** Values at or below this take the checked path (the bucket index would leave int32). */
  bucketFloor = 0.5;
  /** Values at or above this take the checked path. */
  bucketCeiling = 0.5;

  /** Makes every array large enough for rows of `classes` classes. */
  ensure(classes: number): void {
    if (classes <= this.#capacity) return;
    const capacity = Math.max(classes, 2 * this.#capacity);
    this.#capacity = capacity;
    this.row = new Float64Array(capacity);
    this.gradientRow = new Float64Array(capacity);
    this.counts = new Int32Array(capacity);
    this.thresholds = new Float64Array(capacity + THRESHOLD_PADDING);
    this.below = new Float64Array(capacity + 1 + THRESHOLD_PADDING);
    this.gapSums = new Float64Array(capacity + 1);
    this.occurrenceThresholds = new Float64Array(capacity);
    this.targetClasses = new Int32Array(capacity);
    this.above = new Int32Array(capacity + 1);
    this.targetCounts = new Float64Array(capacity);
    this.bucketStart = new Int32Array(MAX_BUCKETS_PER_CLASS * capacity + 4);
    this.gathered = new Float64Array(capacity);
    this.targetMarks = new Uint8Array(capacity);
    this.keepWeights = new Float64Array(capacity).fill(1);
  }

  /** `compactStart`, grown (doubling) to hold at least `length` entries. */
  growCompactStart(length: number): Int32Array {
    if (this.compactStart.length < length)
      this.compactStart = new Int32Array(Math.max(length, 2 * this.compactStart.length));
    return this.compactStart;
  }

  /** `compactRecords`, grown (doubling) to hold at least `length` entries. */
  growCompactRecords(length: number): Float64Array {
    if (this.compactRecords.length < length)
      this.compactRecords = new Float64Array(Math.max(length, 2 * this.compactRecords.length));
    return this.compactRecords;
  }
}

/** `+Infinity` entries after the last threshold, so unrolled comparisons need no bounds. */
export const THRESHOLD_PADDING = 8;

/** The bucket table never has more than this many buckets per class of the row. */
export const MAX_BUCKETS_PER_CLASS = 2;
