import type { Dtype, FloatArray, Tensor } from '@mlml/core-spec';
import { makeSeededProblem } from './seededProblem.js';
import { seededWords } from './seededWords.js';

/** A problem for the suite's state checks, with a per-sample grad_output. */
export interface StateProblem {
  /** [512, 512]. */
  readonly input: Tensor<FloatArray>;
  /** [512, 512], 0 to `maxTargets` targets per row, then -1s. */
  readonly target: Tensor<Int32Array>;
  /** [512], values in [0.5, 1.5). */
  readonly gradOutput: Tensor<FloatArray>;
}

/**
 * The state checks' problem: 512 rows of 512 classes (262,144 elements: past the size where
 * backends share work between threads or chunks), seeded, with borderline values, so that a
 * state rule broken only on a split path is caught. Rows have 0 to `maxTargets` targets. Fresh
 * arrays on every call. Few targets (at most 4 by default) keep O(N·J·C) kernels quick on it.
 */
export function stateProblem(dtype: Dtype, maxTargets = 4): StateProblem {
  const { input, target } = makeSeededProblem(
    {
      batch: 512,
      classes: 512,
      seed: 9001,
      values: 'spread',
      targets: { from: 0, to: maxTargets },
      borderline: 2,
    },
    dtype,
  );
  // Nothing after a row's first -1: a kernel that wrongly reads on (caught by the golden cases)
  // would otherwise make these checks take J = C.
  const t = target.data;
  for (let n = 0; n < 512; n++) {
    const stop = t.subarray(n * 512, n * 512 + 512).indexOf(-1);
    if (stop >= 0) t.fill(-1, n * 512 + stop, n * 512 + 512);
  }
  const words = seededWords(9001 * 8 + 6, 512);
  const g = dtype === 'float32' ? new Float32Array(512) : new Float64Array(512);
  for (let n = 0; n < 512; n++) g[n] = 0.5 + words[n]! / 4294967296;
  return { input, target, gradOutput: { data: g, shape: [512] } };
}
