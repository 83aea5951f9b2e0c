import type { BackwardProblem, FloatArray, KernelResult, LossKernel, Problem } from '@mlml/core-spec';
import { WasmArena } from './WasmArena.js';
import type { WasmKernels } from './WasmKernels.js';

/**
 * Largest J (targets before the first -1) counted by SIMD compare-and-count; rows with more
 * targets sort their thresholds and binary-search each element. Measured crossover (see README).
 */
export const DEFAULT_SIMD_MAX_TARGETS = 16;

/** What one kernel call leaves behind: the row sums and, when asked, the gradient. */
interface RowResults {
  readonly sums: Float64Array;
  readonly gradInput?: FloatArray;
}

/**
 * The wasm {@link LossKernel}: copies input and target into the module's memory once per call
 * (reusing the memory between calls), runs the AssemblyScript kernel, and reduces the row sums
 * in double exactly as the reference does.
 */
export class WasmLossKernel implements LossKernel {
  readonly #kernels: WasmKernels;
  readonly #arena: WasmArena;
  readonly #simdMaxTargets: number;

  constructor(kernels: WasmKernels, simdMaxTargets: number = DEFAULT_SIMD_MAX_TARGETS) {
    this.#kernels = kernels;
    this.#arena = new WasmArena(kernels);
    this.#simdMaxTargets = simdMaxTargets;
  }

  forward(problem: Problem): FloatArray {
    return reduceRows(problem, this.#run(problem, undefined).sums);
  }

  backward(problem: BackwardProblem): FloatArray {
    return this.#run(problem, problem.gradOutput).gradInput!;
  }

  forwardBackward(problem: BackwardProblem): KernelResult {
    const { sums, gradInput } = this.#run(problem, problem.gradOutput);
    return { output: reduceRows(problem, sums), gradInput: gradInput! };
  }

  #run(problem: Problem, gradOutput: FloatArray | undefined): RowResults {
    const { batch, classes, dtype, input, target, reduction } = problem;
    const elementBytes = dtype === 'float32' ? 4 : 8;
    const size = batch * classes;
    const arena = this.#arena.reset();
    const inputPtr = arena.take(size * elementBytes, 'the input');
    const targetPtr = arena.take(size * 4, 'the target');
    const sumsPtr = arena.take(batch * 8, 'the row sums');
    const scalesPtr = gradOutput === undefined ? 0 : arena.take(batch * 8, 'grad_output');
    const gradPtr = gradOutput === undefined ? 0 : arena.take(size * elementBytes, 'the gradient');
    const scratchPtr = arena.take(this.#kernels.exports.scratchBytes(classes) >>> 0, 'scratch space');
    const buffer = arena.commit();

    if (dtype === 'float32') new Float32Array(buffer, inputPtr, size).set(input);
    else new Float64Array(buffer, inputPtr, size).set(input);
    new Int32Array(buffer, targetPtr, size).set(target);
    let g = 0;
    if (gradOutput !== undefined) {
      const scales = new Float64Array(buffer, scalesPtr, batch);
      if (reduction === 'none') for (let n = 0; n < batch; n++) scales[n] = gradOutput[n]!;
      else scales.fill(gradOutput[0]!);
      g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
    }

    const rows = dtype === 'float32' ? this.#kernels.exports.lossRowsF32 : this.#kernels.exports.lossRowsF64;
    rows(
      inputPtr,
      targetPtr,
      batch,
      classes,
      sumsPtr,
      gradPtr,
      scalesPtr,
      g,
      scratchPtr,
      this.#simdMaxTargets,
    );

    const sums = new Float64Array(buffer.slice(sumsPtr, sumsPtr + batch * 8));
    if (gradOutput === undefined) return { sums };
    const gradBytes = buffer.slice(gradPtr, gradPtr + size * elementBytes);
    return {
      sums,
      gradInput: dtype === 'float32' ? new Float32Array(gradBytes) : new Float64Array(gradBytes),
    };
  }
}

/** The forward output from row sums, with the reference's operations in the reference's order. */
function reduceRows(problem: Problem, sums: Float64Array): FloatArray {
  const { batch, classes, reduction, dtype } = problem;
  if (reduction === 'none') {
    const out = dtype === 'float32' ? new Float32Array(batch) : new Float64Array(batch);
    for (let n = 0; n < batch; n++) out[n] = sums[n]! / classes;
    return out;
  }
  let total = 0;
  for (let n = 0; n < batch; n++) total += sums[n]!;
  total /= classes;
  if (reduction === 'mean') total /= batch;
  const out = dtype === 'float32' ? new Float32Array(1) : new Float64Array(1);
  out[0] = total;
  return out;
}
