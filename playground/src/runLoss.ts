import {
  type Dtype,
  type FloatArray,
  type ILossBackend,
  type InputLike,
  multilabelMarginLoss,
  multilabelMarginLossWithGrad,
  type Reduction,
  type TargetLike,
} from '@mlml/loss';

/** One computation the Compute tab asks for. */
export interface LossRequest {
  /** The input x (nested numbers or a `.npy` tensor). */
  readonly input: InputLike;
  /** The target y. */
  readonly target: TargetLike;
  /** The reduction. */
  readonly reduction: Reduction;
  /** The dtype nested numbers become. */
  readonly dtype: Dtype;
  /** A live backend, or `auto`. */
  readonly backend: ILossBackend | 'auto';
}

/** What the Compute tab shows. */
export interface LossResult {
  /** The loss (one value for mean/sum; one per sample for none). */
  readonly output: { readonly data: FloatArray; readonly shape: readonly number[] };
  /** The gradient w.r.t. the input (of the loss itself: grad_output is ones). */
  readonly gradInput: { readonly data: FloatArray; readonly shape: readonly number[] };
  /** The per-sample losses (reduction none). */
  readonly perSample: FloatArray;
  /** The backend that ran. */
  readonly backend: string;
  /** Wall time of the loss-and-gradient call, in ms. */
  readonly ms: number;
}

/**
 * Computes the loss and its gradient in one call (timed), then the per-sample losses with
 * reduction none on the same backend. Library errors (`LossError`) propagate as thrown.
 */
export async function runLoss(request: LossRequest): Promise<LossResult> {
  const options = { reduction: request.reduction, dtype: request.dtype, backend: request.backend };
  const started = performance.now();
  const { output, gradInput } = await multilabelMarginLossWithGrad(
    request.input,
    request.target,
    undefined,
    options,
  );
  const ms = performance.now() - started;
  const perSample = await multilabelMarginLoss(request.input, request.target, {
    ...options,
    reduction: 'none',
    backend: request.backend === 'auto' ? output.backend : request.backend,
  });
  return { output, gradInput, perSample: perSample.data, backend: output.backend, ms };
}
