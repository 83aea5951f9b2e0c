import type { LossKernel } from './LossKernel.js';
import { allocate, type BackwardProblem, type Problem } from './Problem.js';
import type {
  BackendCapabilities,
  FloatArray,
  ForwardBackwardResult,
  ILossBackend,
  LossOptions,
  Tensor,
} from './types.js';
import { type ValidationContext, validateBackward, validateForward } from './validate.js';

/**
 * The one way to turn a {@link LossKernel} into an {@link ILossBackend}: every call is validated
 * by the shared rules of DESIGN §2 (so no backend keeps its own copy of them), empty batches get
 * DESIGN's definition, and results come back as tensors of the right shape.
 */
export class LossBackend implements ILossBackend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #kernel: LossKernel;
  #disposed = false;

  constructor(name: string, capabilities: BackendCapabilities, kernel: LossKernel) {
    this.name = name;
    this.capabilities = capabilities;
    this.#kernel = kernel;
  }

  async forward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>> {
    const problem = validateForward(input, target, options, this.#context());
    const data = problem.batch === 0 ? emptyBatchOutput(problem) : await this.#kernel.forward(problem);
    return { data, shape: [...problem.outputShape] };
  }

  async backward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>> {
    const problem = validateBackward(input, target, gradOutput, options, this.#context());
    const data = problem.batch === 0 ? allocate(problem.dtype, 0) : await this.#kernel.backward(problem);
    return { data, shape: [...problem.inputShape] };
  }

  async forwardBackward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<ForwardBackwardResult> {
    // Without grad_output, validate once and take ones of the output's shape (always valid).
    const problem =
      gradOutput === undefined
        ? withOnesGradOutput(validateForward(input, target, options, this.#context()))
        : validateBackward(input, target, gradOutput, options, this.#context());
    const result =
      problem.batch === 0
        ? { output: emptyBatchOutput(problem), gradInput: allocate(problem.dtype, 0) }
        : await this.#kernel.forwardBackward(problem);
    return {
      output: { data: result.output, shape: [...problem.outputShape] },
      gradInput: { data: result.gradInput, shape: [...problem.inputShape] },
    };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#kernel.dispose?.();
  }

  #context(): ValidationContext {
    return {
      backend: this.name,
      dtypes: this.capabilities.dtypes,
      disposed: this.#disposed,
      kernelChecksTargetRange: this.#kernel.checksTargetRange === true,
    };
  }
}

/** DESIGN §2 for N = 0: none -> `[]` data, sum -> 0, mean -> NaN. */
function emptyBatchOutput(problem: Problem): FloatArray {
  if (problem.reduction === 'none') return allocate(problem.dtype, 0);
  const out = allocate(problem.dtype, 1);
  out[0] = problem.reduction === 'mean' ? Number.NaN : 0;
  return out;
}

/** The problem with `gradOutput` set to ones of the forward output's shape. */
function withOnesGradOutput(problem: Problem): BackwardProblem {
  const gradOutput = allocate(
    problem.dtype,
    problem.outputShape.reduce((a, b) => a * b, 1),
  );
  gradOutput.fill(1);
  return { ...problem, gradOutput };
}
