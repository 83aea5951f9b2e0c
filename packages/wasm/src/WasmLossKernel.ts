import type { BackwardProblem, FloatArray, KernelResult, LossKernel, Problem } from '@mlml/core-spec';
import { WasmArena } from './WasmArena.js';
import type { WasmKernels } from './WasmKernels.js';

/**
 * Largest J (targets before the first -1) counted by SIMD compare-and-count; float32 rows with
 * more targets rank each element through a bucket table over their thresholds' range (float64
 * rows sort and binary-search). Measured crossover on an AMD EPYC (family 19h), Node 20: at
 * N=1024, C=1000 the compare-and-count pass wins up to about J=24 (the table's per-row set-up
 * weighs more there); at C=10000 the table wins from about J=12.
 */
export const DEFAULT_SIMD_MAX_TARGETS = 24;

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
  /** The target array validation last copied into memory (at the arena's first region), if any. */
  #stagedTarget: Int32Array | undefined;

  /** A kernel on an instance of the module; `simdMaxTargets` picks the counting scheme per row. */
  constructor(kernels: WasmKernels, simdMaxTargets: number = DEFAULT_SIMD_MAX_TARGETS) {
    this.#kernels = kernels;
    this.#arena = new WasmArena(kernels);
    this.#simdMaxTargets = simdMaxTargets;
  }

  /**
   * Validation's target range check, in SIMD: copies the target to where the next kernel call
   * will read it (the arena's first region) and scans it there. LossBackend calls this right
   * before the kernel method, synchronously, so the copy serves both and the target is copied
   * once per call.
   */
  findTargetOutOfRange(target: Int32Array, classes: number): number {
    this.#stagedTarget = undefined;
    const arena = this.#arena.reset();
    const targetPtr = arena.take(target.length * 4, 'the target');
    const buffer = arena.commit();
    new Int32Array(buffer, targetPtr, target.length).set(target);
    this.#stagedTarget = target;
    return this.#kernels.exports.findTargetOutOfRange(targetPtr, target.length, classes);
  }

  /** The forward output data (length N for `none`, else 1). */
  forward(problem: Problem): FloatArray {
    return reduceRows(problem, this.#run(problem, undefined).sums);
  }

  /** The gradient data (the input's length), scaled by `problem.gradOutput`. */
  backward(problem: BackwardProblem): FloatArray {
    return this.#run(problem, problem.gradOutput).gradInput!;
  }

  /** Output and gradient from one pass over the data. */
  forwardBackward(problem: BackwardProblem): KernelResult {
    const { sums, gradInput } = this.#run(problem, problem.gradOutput);
    return { output: reduceRows(problem, sums), gradInput: gradInput! };
  }

  #run(problem: Problem, gradOutput: FloatArray | undefined): RowResults {
    const { batch, classes, dtype, input, target, reduction } = problem;
    const elementBytes = dtype === 'float32' ? 4 : 8;
    const size = batch * classes;
    const arena = this.#arena.reset();
    const targetPtr = arena.take(size * 4, 'the target');
    const inputPtr = arena.take(size * elementBytes, 'the input');
    const sumsPtr = arena.take(batch * 8, 'the row sums');
    const scalesPtr = gradOutput === undefined ? 0 : arena.take(batch * 8, 'grad_output');
    const gradPtr = gradOutput === undefined ? 0 : arena.take(size * elementBytes, 'the gradient');
    const scratchPtr = arena.take(this.#kernels.exports.scratchBytes(classes) >>> 0, 'scratch space');
    const buffer = arena.commit();

    if (dtype === 'float32') new Float32Array(buffer, inputPtr, size).set(input);
    else new Float64Array(buffer, inputPtr, size).set(input);
    if (this.#stagedTarget !== target) new Int32Array(buffer, targetPtr, size).set(target);
    this.#stagedTarget = undefined;
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
