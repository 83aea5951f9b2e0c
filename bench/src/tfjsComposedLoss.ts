import type * as TfCore from '@tensorflow/tfjs-core';

/** The `@tensorflow/tfjs-core` module. */
export type Tf = typeof TfCore;

/** The loss and, when asked for, its gradient, as the TF.js composition computes them. */
export interface ComposedLossResult {
  /** The mean loss (PyTorch's default reduction). */
  readonly loss: number;
  /** The gradient w.r.t. the input, `[N, C]` flat, or null for forward only. */
  readonly gradInput: Float32Array | null;
}

/** Options of {@link composedMultilabelMarginLoss}. */
export interface ComposedLossOptions {
  /** Also compute the gradient (composed from ops too: see {@link composedMultilabelMarginLoss}). */
  readonly withGrad: boolean;
  /**
   * Largest `rows × J × C` broadcast processed at once; larger batches are cut into row chunks
   * (the `[rows, J, C]` intermediates dominate memory). @default 2 ** 22
   */
  readonly chunkElements?: number;
}

/**
 * `MultiLabelMarginLoss` (mean) as a TF.js user would write it today from tfjs-core ops: a prefix
 * mask from a cumulative sum of `y < 0`, the target logits by `gather`, a target mask from
 * `oneHot`, the `[N, J, C]` hinge terms by broadcasting, `relu`, masks, and a sum. Runs on whatever
 * tfjs backend is active; starts from typed arrays and reads the results back, like a call of an
 * mlml backend.
 *
 * The gradient is composed from ops as well (the active-pair mask summed over J for the
 * non-targets, minus its sum over C put onto the targets through the one-hot mask):
 * tfjs-core alone registers no gradient functions, so `tf.grad` needs the `@tensorflow/tfjs`
 * union package, which is not a dependency here.
 *
 * The margin decision matches PyTorch's in float32 (`1 - x[y]` and the sum are float32 ops,
 * `relu` is strict at 0); the sums are float32 in TF.js, hence a looser tolerance.
 */
export function composedMultilabelMarginLoss(
  tf: Tf,
  input: Float32Array,
  target: Int32Array,
  batch: number,
  classes: number,
  options: ComposedLossOptions,
): ComposedLossResult {
  const chunkElements = options.chunkElements ?? 2 ** 22;
  // A manual scope (tf.tidy can only return tensors): every tensor made below is freed at the end.
  tf.engine().startScope();
  try {
    const x = tf.tensor2d(input, [batch, classes], 'float32');
    const y = tf.tensor2d(target, [batch, classes], 'int32');
    // valid[n, k]: position k comes before the row's first -1.
    const valid = tf.equal(tf.cumsum(tf.cast(tf.less(y, 0), 'int32'), 1), 0);
    const maxTargets = tf.max(tf.sum(tf.cast(valid, 'int32'), 1)).dataSync()[0] ?? 0;
    // With one class there is no non-target, so no term (and tf.oneHot needs a depth of 2).
    if (maxTargets === 0 || classes < 2) {
      return { loss: 0, gradInput: options.withGrad ? new Float32Array(batch * classes) : null };
    }
    const rowsPerChunk = Math.max(1, Math.floor(chunkElements / (maxTargets * classes)));
    const scale = 1 / (batch * classes);
    let loss = 0;
    const gradients: TfCore.Tensor[] = [];
    for (let start = 0; start < batch; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, batch - start);
      const [value, grad] = tf.tidy(() => {
        const xs = tf.slice(x, [start, 0], [rows, classes]);
        const targets = tf.maximum(tf.slice(y, [start, 0], [rows, maxTargets]), tf.scalar(0, 'int32'));
        const validTargets = tf.cast(tf.slice(valid, [start, 0], [rows, maxTargets]), 'int32');
        const oneHotTargets = tf.oneHot(targets, classes);
        const targetHits = tf.sum(tf.mul(oneHotTargets, tf.expandDims(validTargets, 2)), 1);
        const nonTarget = tf.sub(1, tf.cast(tf.greater(targetHits, 0), 'float32'));
        const mask = tf.mul(tf.expandDims(tf.cast(validTargets, 'float32'), 2), tf.expandDims(nonTarget, 1));
        // Flat indices into the chunk (row * C + y): tfjs-backend-wasm 4.22's gather with
        // batchDims = 1 picks wrong rows, so the batched form is not used.
        const rowOffsets = tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(classes, 'int32'));
        const targetPositions = tf.add(targets, tf.expandDims(rowOffsets, 1));
        const targetValues = tf.gather(tf.reshape(xs, [-1]), targetPositions);
        const terms = tf.add(tf.expandDims(tf.sub(1, targetValues), 2), tf.expandDims(xs, 1));
        // Per-sample sums first (over C, then J), then the batch: float32 sums stay short.
        const perSample = tf.sum(tf.sum(tf.mul(tf.relu(terms), mask), 2), 1);
        const value = tf.mul(tf.sum(perSample), scale);
        if (!options.withGrad) return [value];
        // d/dx: +g at each counted non-target d, -g at y_j once per counted pair (j, d).
        const active = tf.mul(tf.cast(tf.greater(terms, 0), 'float32'), mask);
        const perTarget = tf.sum(active, 2);
        const atTargets = tf.sum(tf.mul(tf.cast(oneHotTargets, 'float32'), tf.expandDims(perTarget, 2)), 1);
        const counts = tf.sub(tf.sum(active, 1), atTargets);
        return [value, tf.mul(counts, scale)];
      });
      loss += value!.dataSync()[0]!;
      if (grad !== undefined) gradients.push(grad);
    }
    const gradInput = options.withGrad
      ? ((gradients.length === 1 ? gradients[0]! : tf.concat(gradients, 0)).dataSync() as Float32Array)
      : null;
    return { loss, gradInput };
  } finally {
    tf.engine().endScope();
  }
}
