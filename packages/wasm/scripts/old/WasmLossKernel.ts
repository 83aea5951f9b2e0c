import {
  allocate,
  type BackwardProblem,
  type FloatArray,
  type KernelResult,
  type LossKernel,
  type Problem,
  targetOutOfRangeError,
} from '@mlml/core-spec';
import { WasmArena } from '../../src/WasmArena.js';
import type { WasmKernels } from '../../src/WasmKernels.js';
import type { RowJob, WorkerTeam } from './WorkerTeam.js';

/**
 * Largest J (targets before the first -1) counted by SIMD compare-and-count; float32 rows with
 * more targets rank each element through a bucket table over their thresholds' range (float64
 * rows sort and binary-search). Measured crossover on an AMD EPYC (family 19h), Node 20: at
 * N=1024, C=1000 the compare-and-count pass wins up to about J=24 (the table's per-row set-up
 * weighs more there); at C=10000 the table wins from about J=10. Hence, by default, the limit
 * for rows of C classes is {@link defaultSimdMaxTargets}.
 */
export const DEFAULT_SIMD_MAX_TARGETS = 24;

/** The default compare-and-count limit for rows of `classes` classes: min(24, 8 + floor(16000 / C)). */
export function defaultSimdMaxTargets(classes: number): number {
  return Math.min(DEFAULT_SIMD_MAX_TARGETS, 8 + Math.floor(16_000 / Math.max(1, classes)));
}

/**
 * Problems with fewer elements (N·C) run on one thread: sharing a job costs tens of
 * microseconds (waking a worker, the shared memory's slower copies), about what the kernels take
 * for this many elements. Measured on 2 cores, J=4, interleaved: at 2^17 elements (128×1024) one
 * thread is faster (forward 115 against 135 µs), at 2^18 (256×1024) two are (185 against 229 µs;
 * forward+backward 404 against 502 µs).
 */
export const MIN_PARALLEL_ELEMENTS = 196_608;

/** What one kernel call leaves behind: the row sums and, when asked, the gradient. */
interface RowResults {
  readonly sums: Float64Array;
  readonly gradInput?: FloatArray;
}

/**
 * The wasm {@link LossKernel}: copies input and target into the module's memory once per call
 * (reusing the memory between calls), runs the AssemblyScript kernel, and reduces the row sums
 * in double exactly as the reference does. With a team of worker threads (on a shared memory),
 * the rows of large problems are shared out in chunks; rows are independent, so the
 * result is bit-identical to a single thread's. Calls are served one at a time, in order.
 */
export class WasmLossKernel implements LossKernel {
  /**
   * The target range is checked here, in SIMD, chunk by chunk on the copy the kernels read, by
   * whichever thread computes the chunk. A chunk with a target out of range is not computed,
   * and the call rejects with core-spec's error for the first such element.
   */
  readonly checksTargetRange = true;
  readonly #kernels: WasmKernels;
  readonly #arena: WasmArena;
  readonly #simdMaxTargets: number | undefined;
  readonly #team: WorkerTeam | undefined;
  /** Calls started and not yet finished (the first may still be using the memory). */
  #inFlight = 0;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * A kernel on an instance of the module; `simdMaxTargets` (default: {@link defaultSimdMaxTargets}
   * of each call's C) picks the counting scheme per row;
   * `team` (workers on the same, shared, memory) shares the rows of large problems.
   */
  constructor(kernels: WasmKernels, simdMaxTargets?: number, team?: WorkerTeam) {
    this.#kernels = kernels;
    this.#arena = new WasmArena(kernels);
    this.#simdMaxTargets = simdMaxTargets;
    this.#team = team;
  }

  /** Threads that compute: this one and the team's workers while the team works. */
  get threads(): number {
    return 1 + (this.#liveTeam()?.size ?? 0);
  }

  /** The forward output data (length N for `none`, else 1). */
  async forward(problem: Problem): Promise<FloatArray> {
    const { sums } = await this.#serve(problem, undefined);
    return reduceRows(problem, sums);
  }

  /** The gradient data (the input's length), scaled by `problem.gradOutput`. */
  async backward(problem: BackwardProblem): Promise<FloatArray> {
    return (await this.#serve(problem, problem.gradOutput)).gradInput!;
  }

  /** Output and gradient from one pass over the data. */
  async forwardBackward(problem: BackwardProblem): Promise<KernelResult> {
    const { sums, gradInput } = await this.#serve(problem, problem.gradOutput);
    return { output: reduceRows(problem, sums), gradInput: gradInput! };
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    await this.#team?.stop();
  }

  #liveTeam(): WorkerTeam | undefined {
    return this.#team?.failure === undefined ? this.#team : undefined;
  }

  /** Whether a problem of this size is shared with the workers. */
  #parallel(batch: number, classes: number): boolean {
    return batch >= 2 && batch * classes >= MIN_PARALLEL_ELEMENTS && this.#liveTeam() !== undefined;
  }

  /**
   * Runs calls one after another (a call's workers read the memory until it resolves). Inputs
   * are read when the call is made, as a synchronous function would: an idle kernel copies them
   * into memory before returning its promise, and a call that has to wait takes copies of them
   * first, so a caller that refills its arrays right after the call never changes its result.
   */
  #serve(problem: Problem, gradOutput: FloatArray | undefined): Promise<RowResults> {
    let result: Promise<RowResults>;
    if (this.#inFlight === 0) {
      result = this.#compute(problem, gradOutput);
    } else {
      const own = { ...problem, input: problem.input.slice(), target: problem.target.slice() };
      const ownGrad = gradOutput?.slice();
      result = this.#tail.then(() => this.#compute(own, ownGrad));
    }
    this.#inFlight++;
    const settled = result.finally(() => {
      this.#inFlight--;
    });
    this.#tail = settled.catch(() => {});
    return settled;
  }

  async #compute(problem: Problem, gradOutput: FloatArray | undefined): Promise<RowResults> {
    const { batch, classes, dtype, input, target, reduction } = problem;
    const elementBytes = dtype === 'float32' ? 4 : 8;
    const size = batch * classes;
    const team = this.#parallel(batch, classes) ? this.#team : undefined;
    const scratchBytes = this.#kernels.exports.scratchBytes(classes) >>> 0;
    const arena = this.#arena.reset();
    const targetPtr = arena.take(size * 4, 'the target');
    const inputPtr = arena.take(size * elementBytes, 'the input');
    const sumsPtr = arena.take(batch * 8, 'the row sums');
    const scalesPtr = gradOutput === undefined ? 0 : arena.take(batch * 8, 'grad_output');
    const gradPtr = gradOutput === undefined ? 0 : arena.take(size * elementBytes, 'the gradient');
    const scratch = arena.take(scratchBytes, 'scratch space');
    const workerScratch: number[] = [];
    for (let i = 0; i < (team?.size ?? 0); i++) workerScratch.push(arena.take(scratchBytes, 'scratch space'));
    const buffer = arena.commit();

    let g = 0;
    if (gradOutput !== undefined) {
      const scales = new Float64Array(buffer, scalesPtr, batch);
      if (reduction === 'none') for (let n = 0; n < batch; n++) scales[n] = gradOutput[n]!;
      else scales.fill(gradOutput[0]!);
      g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
    }
    const inputView =
      dtype === 'float32'
        ? new Float32Array(buffer, inputPtr, size)
        : new Float64Array(buffer, inputPtr, size);
    const targetView = new Int32Array(buffer, targetPtr, size);
    const copyRows = (from: number, count: number) => {
      const start = from * classes;
      const end = (from + count) * classes;
      targetView.set(target.subarray(start, end), start);
      inputView.set(input.subarray(start, end), start);
    };
    const job: RowJob = {
      kind: dtype === 'float32' ? 0 : 1,
      input: inputPtr,
      target: targetPtr,
      batch,
      classes,
      sums: sumsPtr,
      grad: gradPtr,
      scales: scalesPtr,
      g,
      simdMax: this.#simdMaxTargets ?? defaultSimdMaxTargets(classes),
    };
    const runHere = (from: number, count: number) => this.#runRows(job, from, count, scratch);
    const gradView =
      gradOutput === undefined
        ? undefined
        : dtype === 'float32'
          ? new Float32Array(buffer, gradPtr, size)
          : new Float64Array(buffer, gradPtr, size);
    const gradInput = gradView === undefined ? undefined : allocate(dtype, size);
    // Rows go out to the caller's fresh array as soon as they are computed: with workers, this
    // thread copies (and takes the first-touch page faults of the new array, which cost ms on
    // some VMs) while they still compute.
    const copyOut =
      gradInput === undefined
        ? undefined
        : (from: number, count: number) => {
            const start = from * classes;
            gradInput.set(gradView!.subarray(start, start + count * classes), start);
          };
    const alone = () => {
      copyRows(0, batch);
      const found = runHere(0, batch);
      copyOut?.(0, batch);
      return found;
    };
    let outOfRange: number;
    if (team === undefined) {
      outOfRange = alone();
    } else {
      try {
        outOfRange = await team.run(job, workerScratch, copyRows, runHere, copyOut);
      } catch {
        // A worker failed mid-job: stop the team (so nothing else writes), then redo every row
        // here from a fresh copy of the input (the kernels edit their copy of each row).
        await team.stop();
        outOfRange = alone();
      }
    }
    // The message names the value the kernels read (their copy), not the caller's array now:
    // on the threaded path the caller may have refilled it while this call waited.
    if (outOfRange >= 0) throw targetOutOfRangeError(targetView, outOfRange, classes);

    const sums = new Float64Array(buffer, sumsPtr, batch).slice();
    return gradInput === undefined ? { sums } : { sums, gradInput };
  }

  /**
   * Rows [from, from + count) of `job`, on this thread: -1, or the index of the first target out
   * of range in them (then nothing is computed).
   */
  #runRows(job: RowJob, from: number, count: number, scratch: number): number {
    const exports = this.#kernels.exports;
    const rows = job.kind === 0 ? exports.lossRowsF32 : exports.lossRowsF64;
    const { input, target, classes, sums, grad, scales, g, simdMax } = job;
    return rows(input, target, from, count, classes, sums, grad, scales, g, scratch, simdMax);
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
