import type { Dtype, FloatArray, Tensor } from '@mlml/core-spec';
import { makeSeededProblem } from './seededProblem.js';
import { seededWords } from './seededWords.js';

/** A problem for the suite's state checks, with a per-sample grad_output. */
export interface StateProblem {
  /** [512, 512]. */
  readonly input: Tensor<FloatArray>;
  /** [512, 512], 0 to 12 targets per row. */
  readonly target: Tensor<Int32Array>;
  /** [512], values in [0.5, 1.5). */
  readonly gradOutput: Tensor<FloatArray>;
}

/**
 * The state checks' problem: 512 rows of 512 classes (262,144 elements: past the size where
 * backends share work between threads or chunks), seeded, with borderline values, so that a
 * state rule broken only on a split path is caught. Fresh arrays on every call.
 */
export function stateProblem(dtype: Dtype): StateProblem {
  const { input, target } = makeSeededProblem(
    { batch: 512, classes: 512, seed: 9001, values: 'spread', targets: { from: 0, to: 12 }, borderline: 2 },
    dtype,
  );
  const words = seededWords(9001 * 8 + 6, 512);
  const g = dtype === 'float32' ? new Float32Array(512) : new Float64Array(512);
  for (let n = 0; n < 512; n++) g[n] = 0.5 + words[n]! / 4294967296;
  return { input, target, gradOutput: { data: g, shape: [512] } };
}
