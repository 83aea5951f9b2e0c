/*
 * Rows with few (target, class) pairs: PyTorch's O(J·C) pair loop, which beats the sorted-threshold
 * method when J·C is small (no sorting, no tables, no per-row setup). Each pair's term is the
 * reference's (core-spec reference.ts), `fl(1 - x[y_j]) + x[d]` in double, counted iff > 0.
 *
 * The loss takes no branch on the data: a counted term t adds `t + |t|` (2t when t > 0, else +0,
 * both exact), a target class is left out by a weight of 0, and the row's total is halved at the
 * end (exact): random data would mispredict a branch on `t > 0` about once in four pairs. The pairs
 * are summed class by class (a class's J terms, then the next class), not in the reference's
 * target-major order, so the loss agrees with the reference to within double rounding. Forward
 * calls directRowLoss; forward+backward calls directRowLossCounts, which sums the same terms in
 * the same grouping (its own loop, so that the counts come from the same pass), so the fused loss
 * is forward's to the bit. A row with a NaN or infinite term (its weighted total is then not
 * finite) is summed by the reference's own branching loop instead. The gradient's counts are whole
 * numbers, the reference's exactly.
 */

/** Rows with `J * C` up to this take the direct loop. */
export const DIRECT_PAIRS_MAX = 48;

/**
 * The a_j of the unrolled loops' missing targets: `PAD + x` is at most 0 for every finite float32 x,
 * so it adds `t + |t| = 0`. Only float64 inputs beyond ±1e292 can make it infinite (then NaN, and
 * the row is summed by the branching loop).
 */
const PAD = -Number.MAX_VALUE;

/**
 * The unnormalised loss S_n of the row at `offset` (its `targetCount` targets before the first
 * -1). `keep` (at least `classes` long) is all ones on entry and on return.
 */
export function directRowLoss(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
): number {
  if (targetCount === 0) return 0;
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 0;
  // One small function a case: one function of all three measured 1.6x slower (V8, Node 20).
  const twice =
    targetCount <= 2
      ? twiceUpTo2(input, target, offset, classes, targetCount, float32, keep)
      : targetCount <= 4
        ? twiceUpTo4(input, target, offset, classes, targetCount, float32, keep)
        : twiceLooped(input, target, offset, classes, targetCount, float32, keep);
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 1;
  if (twice < Number.POSITIVE_INFINITY) return twice * 0.5;
  return branchingRowLoss(input, target, offset, classes, targetCount, float32, keep);
}

/**
 * Forward rows `[from, batch)` that have one or two targets and at most DIRECT_PAIRS_MAX / 2
 * classes, summed into `sums` exactly as {@link directRowLoss} sums them, in one loop (no per-row
 * target count or dispatch: a small call spends a good part of its time there). Returns the first
 * row it does not take (one of more or no targets, or a term that is not finite), untouched, or
 * `batch`. `keep` as for directRowLoss.
 */
export function directForwardRows(
  input: Float32Array | Float64Array,
  target: Int32Array,
  from: number,
  batch: number,
  classes: number,
  float32: boolean,
  keep: Float64Array,
  sums: Float64Array,
): number {
  if (2 * classes > DIRECT_PAIRS_MAX) return from;
  let offset = from * classes;
  for (let n = from; n < batch; n++, offset += classes) {
    const y0 = target[offset]!;
    if (y0 < 0) return n;
    const y1 = classes > 1 ? target[offset + 1]! : -1;
    if (y1 >= 0 && classes > 2 && target[offset + 2]! >= 0) return n;
    // The margins from the targets just read (twiceUpTo2 would read them again).
    const a0 = margin(input, offset + y0, float32);
    let a1 = PAD;
    keep[y0] = 0;
    if (y1 >= 0) {
      keep[y1] = 0;
      a1 = margin(input, offset + y1, float32);
    }
    const twice = twiceOfMargins(input, offset, classes, a0, a1, keep);
    keep[y0] = 1;
    if (y1 >= 0) keep[y1] = 1;
    if (!(twice < Number.POSITIVE_INFINITY)) return n;
    sums[n] = twice * 0.5;
  }
  return batch;
}

/**
 * Twice the row's loss (not finite when a term is not), for 1 or 2 targets; `keep` is 0 at the
 * row's target classes.
 */
function twiceUpTo2(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
): number {
  const a0 = margin(input, offset + target[offset]!, float32);
  const a1 = targetCount === 2 ? margin(input, offset + target[offset + 1]!, float32) : PAD;
  return twiceOfMargins(input, offset, classes, a0, a1, keep);
}

/** {@link twiceUpTo2} from the margins `a0` and `a1` (PAD for a missing second target). */
function twiceOfMargins(
  input: Float32Array | Float64Array,
  offset: number,
  classes: number,
  a0: number,
  a1: number,
  keep: Float64Array,
): number {
  let twice = 0;
  // Two classes an iteration (one loop test and index update for both), added one after the
  // other: the same order as one at a time, so directRowLossCounts still gives the same bits.
  let d = 0;
  for (; d + 1 < classes; d += 2) {
    const v = input[offset + d]!;
    const w = input[offset + d + 1]!;
    const t0 = a0 + v;
    const t1 = a1 + v;
    const u0 = a0 + w;
    const u1 = a1 + w;
    twice += keep[d]! * (t0 + Math.abs(t0) + (t1 + Math.abs(t1)));
    twice += keep[d + 1]! * (u0 + Math.abs(u0) + (u1 + Math.abs(u1)));
  }
  if (d < classes) {
    const v = input[offset + d]!;
    const t0 = a0 + v;
    const t1 = a1 + v;
    twice += keep[d]! * (t0 + Math.abs(t0) + (t1 + Math.abs(t1)));
  }
  return twice;
}

/** {@link twiceUpTo2} for 3 or 4 targets. */
function twiceUpTo4(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
): number {
  const a0 = margin(input, offset + target[offset]!, float32);
  const a1 = margin(input, offset + target[offset + 1]!, float32);
  const a2 = margin(input, offset + target[offset + 2]!, float32);
  const a3 = targetCount === 4 ? margin(input, offset + target[offset + 3]!, float32) : PAD;
  let twice = 0;
  for (let d = 0; d < classes; d++) {
    const v = input[offset + d]!;
    const t0 = a0 + v;
    const t1 = a1 + v;
    const t2 = a2 + v;
    const t3 = a3 + v;
    twice += keep[d]! * (t0 + Math.abs(t0) + (t1 + Math.abs(t1)) + (t2 + Math.abs(t2) + (t3 + Math.abs(t3))));
  }
  return twice;
}

/** {@link twiceUpTo2} for more than four targets (then C <= 9): a class's terms in a loop. */
function twiceLooped(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
): number {
  let twice = 0;
  for (let d = 0; d < classes; d++) {
    const v = input[offset + d]!;
    let terms = 0;
    for (let j = 0; j < targetCount; j++) {
      const t = margin(input, offset + target[offset + j]!, float32) + v;
      terms += t + Math.abs(t);
    }
    twice += keep[d]! * terms;
  }
  return twice;
}

/** `fl(1 - x[index])` in the input's precision: a target's margin a_j. */
function margin(input: Float32Array | Float64Array, index: number, float32: boolean): number {
  const value = input[index]!;
  return float32 ? Math.fround(1 - value) : 1 - value;
}

/** The reference's loop (a branch a pair, target-major): rows with a NaN or infinite term. */
function branchingRowLoss(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
): number {
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 0;
  let sum = 0;
  for (let j = 0; j < targetCount; j++) {
    const a = margin(input, offset + target[offset + j]!, float32);
    for (let d = 0; d < classes; d++) {
      if (keep[d] === 0) continue;
      const term = a + input[offset + d]!;
      if (term > 0) sum += term;
    }
  }
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 1;
  return sum;
}

/**
 * The loss of {@link directRowLoss} (the same bits) and the row's gradient counts: `counts[d]`
 * (d < classes) is, for a non-target class, the number of its counted pairs, and for a target
 * class minus the number of counted pairs of its target occurrences (the reference's counts, which
 * the gradient scales). `keep` is all ones on entry and on return.
 */
export function directRowLossCounts(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
  counts: Float64Array,
): number {
  counts.fill(0, 0, classes);
  if (targetCount === 0) return 0;
  if (targetCount > 4) {
    directRowCounts(input, target, offset, classes, targetCount, float32, keep, counts);
    return directRowLoss(input, target, offset, classes, targetCount, float32, keep);
  }
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 0;
  const y0 = target[offset]!;
  const y1 = targetCount > 1 ? target[offset + 1]! : 0;
  const y2 = targetCount > 2 ? target[offset + 2]! : 0;
  const y3 = targetCount > 3 ? target[offset + 3]! : 0;
  const a0 = margin(input, offset + y0, float32);
  const a1 = targetCount > 1 ? margin(input, offset + y1, float32) : PAD;
  const a2 = targetCount > 2 ? margin(input, offset + y2, float32) : PAD;
  const a3 = targetCount > 3 ? margin(input, offset + y3, float32) : PAD;
  let twice = 0;
  let passed0 = 0;
  let passed1 = 0;
  let passed2 = 0;
  let passed3 = 0;
  for (let d = 0; d < classes; d++) {
    const v = input[offset + d]!;
    const t0 = a0 + v;
    const t1 = a1 + v;
    const w = keep[d]!;
    // The loss's terms grouped exactly as directRowLoss groups them.
    if (targetCount <= 2) {
      twice += w * (t0 + Math.abs(t0) + (t1 + Math.abs(t1)));
    } else {
      const t2 = a2 + v;
      const t3 = a3 + v;
      twice += w * (t0 + Math.abs(t0) + (t1 + Math.abs(t1)) + (t2 + Math.abs(t2) + (t3 + Math.abs(t3))));
      if (w !== 0) {
        const p2 = t2 > 0 ? 1 : 0;
        const p3 = t3 > 0 ? 1 : 0;
        passed2 += p2;
        passed3 += p3;
        counts[d]! += p2 + p3;
      }
    }
    if (w !== 0) {
      const p0 = t0 > 0 ? 1 : 0;
      const p1 = t1 > 0 ? 1 : 0;
      passed0 += p0;
      passed1 += p1;
      counts[d]! += p0 + p1;
    }
  }
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 1;
  if (!(twice < Number.POSITIVE_INFINITY)) {
    directRowCounts(input, target, offset, classes, targetCount, float32, keep, counts);
    return branchingRowLoss(input, target, offset, classes, targetCount, float32, keep);
  }
  // Padding targets pass nothing (PAD + v <= 0 whenever the total is finite).
  counts[y0]! -= passed0;
  if (targetCount > 1) counts[y1]! -= passed1;
  if (targetCount > 2) counts[y2]! -= passed2;
  if (targetCount > 3) counts[y3]! -= passed3;
  return twice * 0.5;
}

/**
 * The reference's gradient counts of the row at `offset` (see {@link directRowLossCounts}), by
 * its own loop (a branch a pair, target-major). `keep` is all ones on entry and on return.
 */
function directRowCounts(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  keep: Float64Array,
  counts: Float64Array,
): void {
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 0;
  counts.fill(0, 0, classes);
  for (let j = 0; j < targetCount; j++) {
    const y = target[offset + j]!;
    const a = margin(input, offset + y, float32);
    let passed = 0;
    for (let d = 0; d < classes; d++) {
      if (keep[d] === 0) continue;
      if (a + input[offset + d]! > 0) {
        counts[d]! += 1;
        passed++;
      }
    }
    counts[y]! -= passed;
  }
  for (let j = 0; j < targetCount; j++) keep[target[offset + j]!] = 1;
}
