import {
  type GpuKernelData,
  type GpuKernelResult,
  type GpuProblem,
  usesGpu,
  validateGpuBackward,
  validateGpuForward,
} from './gpuProblem.js';
import type { KernelResult, LossKernel } from './LossKernel.js';
import { allocate, type BackwardProblem, type Problem, withGradOutput } from './Problem.js';
import type {
  BackendCapabilities,
  FloatArray,
  ForwardBackwardResult,
  GpuTensor,
  ILossBackend,
  LossOptions,
  Tensor,
} from './types.js';
import { elementCount, type ValidationContext, validateBackward, validateForward } from './validate.js';

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
  #validation: ValidationContext | undefined;
  /** Calls started and not yet settled: `dispose()` lets them finish before releasing the kernel. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(name: string, capabilities: BackendCapabilities, kernel: LossKernel) {
    this.name = name;
    this.capabilities = capabilities;
    this.#kernel = kernel;
  }

  forward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>> {
    try {
      const gpu = this.#kernel.gpu;
      if (gpu !== undefined && usesGpu(input, target, options)) {
        const problem = validateGpuForward(input, target, options, this.#context());
        return this.#then(gpu.forward(problem), gpuOutputTensor, problem);
      }
      const problem = validateForward(input, target, options, this.#context());
      const data = problem.batch === 0 ? emptyBatchOutput(problem) : this.#kernel.forward(problem);
      return this.#then(data, outputTensor, problem);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  backward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>> {
    try {
      const gpu = this.#kernel.gpu;
      if (gpu !== undefined && usesGpu(input, target, options)) {
        const problem = validateGpuBackward(input, target, gradOutput, options, this.#context());
        return this.#then(gpu.backward(problem), gpuGradientTensor, problem);
      }
      const problem = validateBackward(input, target, gradOutput, options, this.#context());
      const data = problem.batch === 0 ? allocate(problem.dtype, 0) : this.#kernel.backward(problem);
      return this.#then(data, gradientTensor, problem);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  forwardBackward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<ForwardBackwardResult> {
    try {
      const gpu = this.#kernel.gpu;
      if (gpu !== undefined && usesGpu(input, target, options)) {
        const forward = validateGpuForward(input, target, options, this.#context());
        const ones = new Float32Array(elementCount(forward.outputShape)).fill(1);
        const problem =
          gradOutput === undefined
            ? { ...forward, gradOutput: ones }
            : validateGpuBackward(input, target, gradOutput, options, this.#context());
        return this.#then(gpu.forwardBackward(problem), gpuBothTensors, problem);
      }
      // Without grad_output, validate once and take ones of the output's shape (always valid).
      const problem =
        gradOutput === undefined
          ? withOnesGradOutput(validateForward(input, target, options, this.#context()))
          : validateBackward(input, target, gradOutput, options, this.#context());
      const result =
        problem.batch === 0
          ? { output: emptyBatchOutput(problem), gradInput: allocate(problem.dtype, 0) }
          : this.#kernel.forwardBackward(problem);
      return this.#then(result, bothTensors, problem);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Releases the kernel. Calls already in flight complete normally (with their results) first;
   * calls made after this one reject with `BACKEND_DISPOSED`. The same on every backend.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#kernel.dispose?.();
  }

  /**
   * The call's promise: `finish` of the kernel's result and the call's problem (a module function
   * and its argument: a value computed before returning, every small wasm call, is finished here
   * at once with no closure). A promise is kept in {@link #inFlight} until it settles (the promise
   * the call chains on: its continuation is queued before dispose()'s, so a call in flight settles
   * before dispose() resolves). Called inside the method's try: a throw from `finish` on a value
   * rejects the call.
   */
  #then<T, P, R>(call: T | Promise<T>, finish: (value: T, problem: P) => R, problem: P): Promise<R> {
    if (!(call instanceof Promise)) return Promise.resolve(finish(call, problem));
    const tracked: Promise<T> = call.finally(() => {
      this.#inFlight.delete(tracked);
    });
    this.#inFlight.add(tracked);
    return tracked.then((value) => finish(value, problem));
  }

  /** The validation context; made once per state (live, disposed), not per call. */
  #context(): ValidationContext {
    if (this.#validation?.disposed !== this.#disposed) {
      this.#validation = {
        backend: this.name,
        dtypes: this.capabilities.dtypes,
        disposed: this.#disposed,
        kernelChecksTargetRange: this.#kernel.checksTargetRange === true,
        gpuResident: this.#kernel.gpu !== undefined,
      };
    }
    return this.#validation;
  }
}

/**
 * A GPU-resident kernel's result as the call returns it: a typed array in a tensor, or the
 * kernel's GpuTensor itself (typed as a tensor here: a GPU-resident backend's own signatures say
 * that `outputLocation: 'gpu-buffer'` returns GpuTensors).
 */
function asTensor(data: GpuKernelData, shape: readonly number[]): Tensor<FloatArray> {
  if (data instanceof Float32Array) return { data, shape: [...shape] };
  return data as GpuTensor as unknown as Tensor<FloatArray>;
}

/** A forward result as the call returns it: in the caller's `out.output` when given. */
function outputTensor(data: FloatArray, problem: Problem): Tensor<FloatArray> {
  return { data: intoOut(data, problem.out?.output), shape: problem.outputShape };
}

/** A gradient as the call returns it: in the caller's `out.gradInput` when given. */
function gradientTensor(data: FloatArray, problem: Problem): Tensor<FloatArray> {
  return { data: intoOut(data, problem.out?.gradInput), shape: problem.inputShape };
}

/** Both results as forwardBackward returns them. */
function bothTensors(value: KernelResult, problem: Problem): ForwardBackwardResult {
  return { output: outputTensor(value.output, problem), gradInput: gradientTensor(value.gradInput, problem) };
}

/** A GPU-resident kernel's forward result as the call returns it. */
function gpuOutputTensor(data: GpuKernelData, problem: GpuProblem): Tensor<FloatArray> {
  return asTensor(data, problem.outputShape);
}

/** A GPU-resident kernel's gradient as the call returns it. */
function gpuGradientTensor(data: GpuKernelData, problem: GpuProblem): Tensor<FloatArray> {
  return asTensor(data, problem.inputShape);
}

/** Both results of a GPU-resident kernel as forwardBackward returns them. */
function gpuBothTensors(value: GpuKernelResult, problem: GpuProblem): ForwardBackwardResult {
  return {
    output: asTensor(value.output, problem.outputShape),
    gradInput: asTensor(value.gradInput, problem.inputShape),
  };
}

/** The caller's array holding `data` (copied in unless the kernel wrote there), or `data` itself. */
function intoOut(data: FloatArray, out: FloatArray | undefined): FloatArray {
  if (out === undefined || out === data) return data;
  out.set(data);
  return out;
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
  const gradOutput = allocate(problem.dtype, elementCount(problem.outputShape));
  gradOutput.fill(1);
  return withGradOutput(problem, gradOutput);
}
