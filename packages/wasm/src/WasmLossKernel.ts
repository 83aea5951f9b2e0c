import {
  allocate,
  type BackwardProblem,
  type Dtype,
  type FloatArray,
  type KernelResult,
  type LossKernel,
  type Problem,
  reduceRowSums,
  targetOutOfRangeError,
} from '@mlml/core-spec';
import { CallLayout } from './CallLayout.js';
import { type CallShape, type Placement, ThreadPolicy } from './ThreadPolicy.js';
import { WasmArena } from './WasmArena.js';
import type { WasmKernels } from './WasmKernels.js';
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
 * Elements per chunk of a call computed on one thread: input, target and gradient of a chunk
 * (12-16 bytes an element) stay within a core's L2 cache between the copy in, the kernels and
 * the copy out.
 */
const CHUNK_ELEMENTS = 16_384;

/** What one kernel call leaves behind: the forward output and, when asked, the gradient. */
interface RowResults {
  readonly output: FloatArray;
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
  readonly #policy: ThreadPolicy;
  /** The last call's layout, reused while it serves. */
  #layout: CallLayout | undefined;
  /** The compare-and-count limit and the rows per chunk for the layout's C, made with it (two divisions a call less). */
  #simdMax = 0;
  #rowsPerChunk = 1;
  /** Calls started and not yet finished (the first may still be using the memory). */
  #inFlight = 0;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * A kernel on an instance of the module; `simdMaxTargets` (default: {@link defaultSimdMaxTargets}
   * of each call's C) picks the counting scheme per row;
   * `team` (workers on the same, shared, memory) shares the rows of large problems where
   * `policy` says it pays (default: measured per size class, see {@link ThreadPolicy}).
   */
  constructor(kernels: WasmKernels, simdMaxTargets?: number, team?: WorkerTeam, policy?: ThreadPolicy) {
    this.#kernels = kernels;
    this.#arena = new WasmArena(kernels);
    this.#simdMaxTargets = simdMaxTargets;
    this.#team = team;
    this.#policy = policy ?? new ThreadPolicy();
  }

  /**
   * Threads that compute large problems: this one (unless the policy keeps it from computing)
   * and the team's workers while the team works.
   */
  get threads(): number {
    const workers = this.#liveTeam()?.size ?? 0;
    return (this.#policy.callingThreadComputes || workers === 0 ? 1 : 0) + workers;
  }

  /**
   * The forward output data (length N for `none`, else 1), in `problem.out.output` when given.
   * Computed before returning (no promise) when the call runs on this thread alone.
   */
  forward(problem: Problem): FloatArray | Promise<FloatArray> {
    return whenServed(this.#serve(problem, undefined), pickOutput);
  }

  /** The gradient data (the input's length), scaled by `problem.gradOutput`, in `problem.out.gradInput` when given. */
  backward(problem: BackwardProblem): FloatArray | Promise<FloatArray> {
    return whenServed(this.#serve(problem, problem.gradOutput), pickGradInput);
  }

  /** Output and gradient from one pass over the data, in the caller's `out` arrays when given. */
  forwardBackward(problem: BackwardProblem): KernelResult | Promise<KernelResult> {
    return whenServed(this.#serve(problem, problem.gradOutput), pickBoth);
  }

  /** Stops the workers (a call in flight is finished first; see {@link WorkerTeam.stop}). */
  async dispose(): Promise<void> {
    await this.#team?.stop();
  }

  #liveTeam(): WorkerTeam | undefined {
    return this.#team?.failure === undefined ? this.#team : undefined;
  }

  /**
   * Runs calls one after another (a call's workers read the memory until it resolves). Inputs
   * are read when the call is made, as a synchronous function would: an idle kernel copies them
   * into memory before returning its promise, and a call that has to wait takes copies of them
   * first, so a caller that refills its arrays right after the call never changes its result.
   */
  #serve(problem: Problem, gradOutput: FloatArray | undefined): RowResults | Promise<RowResults> {
    let result: Promise<RowResults>;
    if (this.#inFlight === 0) {
      const computed = this.#compute(problem, gradOutput);
      // Done on this thread before returning: nothing holds the memory any more.
      if (!(computed instanceof Promise)) return computed;
      result = computed;
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

  #compute(problem: Problem, gradOutput: FloatArray | undefined): RowResults | Promise<RowResults> {
    const { batch, classes, dtype, input, target, reduction } = problem;
    const size = batch * classes;
    const gradient = gradOutput !== undefined;
    // Timings feed the policy, which has a choice only when there is a team and a size it shares
    // (no shape is made for the others: small calls are where a call's fixed costs show).
    const shape: CallShape | undefined =
      this.#team !== undefined && !this.#policy.alwaysHere(batch, classes)
        ? { batch, classes, dtype, gradient }
        : undefined;
    const placement: Placement =
      shape === undefined ? 'here' : this.#policy.place(shape, this.#liveTeam() !== undefined);
    const team = placement === 'here' ? undefined : this.#team;
    const started = shape !== undefined ? performance.now() : 0;
    const layout = this.#layoutFor(batch, classes, dtype, gradient, team?.size ?? 0);
    const scales = layout.scales;
    // A forward call served by a gradient call's layout has no gradient.
    const gradView = gradient ? layout.grad : undefined;

    let g = 0;
    if (gradOutput !== undefined) {
      if (reduction === 'none') for (let n = 0; n < batch; n++) scales![n] = gradOutput[n]!;
      else scales!.fill(gradOutput[0]!);
      g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
    }
    const simdMax = this.#simdMax;
    // The caller's `out.gradInput` (every element is written: no need to clear it) or a fresh
    // array. Rows go out to it as soon as they are computed: with workers, this thread copies
    // (and takes the first-touch page faults of a fresh array, which cost ms on some VMs) while
    // they still compute.
    // On a thread that computes nothing (a page's main thread), a fresh gradient array is made by
    // a worker and moved here (WorkerTeam.copyOut): its page faults are not this thread's.
    const workerMadeGrad =
      placement === 'workers' && gradView !== undefined && problem.out?.gradInput === undefined;
    const gradInput =
      gradView === undefined || workerMadeGrad
        ? undefined
        : (problem.out?.gradInput ?? allocate(dtype, size));
    if (team === undefined) {
      const outOfRange = this.#alone(layout, input, target, g, simdMax, gradient, gradInput);
      if (shape !== undefined) this.#policy.record(shape, placement, performance.now() - started);
      return finish(problem, layout, outOfRange, gradInput);
    }

    const copyRows = (from: number, count: number) => layout.copyIn(input, target, from, count);
    const copyOut =
      gradInput === undefined
        ? undefined
        : (from: number, count: number) => layout.copyOut(gradInput, from, count);
    const job: RowJob = {
      kind: dtype === 'float32' ? 0 : 1,
      input: layout.inputPtr,
      target: layout.targetPtr,
      batch,
      classes,
      sums: layout.sumsPtr,
      grad: gradient ? layout.gradPtr : 0,
      scales: gradient ? layout.scalesPtr : 0,
      g,
      simdMax,
    };
    const runHere = (from: number, count: number) => this.#runRows(layout, from, count, g, simdMax, gradient);
    const shared = async (): Promise<RowResults> => {
      let outOfRange: number;
      try {
        outOfRange = await team.run(
          job,
          layout.workerScratch,
          copyRows,
          placement === 'shared' ? runHere : undefined,
          copyOut,
        );
      } catch {
        // A worker failed (or was terminated) mid-job: stop the team (so nothing else writes),
        // then redo every row here from a fresh copy of the input (the kernels edit their copy).
        await team.stop(0);
        outOfRange = this.#alone(layout, input, target, g, simdMax, gradient, gradInput);
      }
      this.#policy.record(shape!, placement, performance.now() - started);
      const result = finish(problem, layout, outOfRange, gradInput);
      return workerMadeGrad
        ? { output: result.output, gradInput: await fromWorkers(team, gradView!) }
        : result;
    };
    return shared();
  }

  /** The layout of a call of these sizes: the last one when it still serves, else a new one (from the memory's start). */
  #layoutFor(batch: number, classes: number, dtype: Dtype, gradient: boolean, workers: number): CallLayout {
    if (this.#layout?.serves(batch, classes, dtype, gradient, workers)) return this.#layout;
    this.#layout = new CallLayout(this.#kernels, this.#arena, { batch, classes, dtype, gradient, workers });
    this.#simdMax = this.#simdMaxTargets ?? defaultSimdMaxTargets(classes);
    this.#rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / classes));
    return this.#layout;
  }

  /**
   * Every row on this thread alone, chunk by chunk: each chunk's input is still in cache when the
   * kernels read it, and its gradient (when `gradient`) when it is copied out to `gradInput` (one
   * pass over memory, not three). -1, or the index of the first target out of range (then the rows
   * from its chunk on are not computed).
   */
  #alone(
    layout: CallLayout,
    input: FloatArray,
    target: Int32Array,
    g: number,
    simdMax: number,
    gradient: boolean,
    gradInput: FloatArray | undefined,
  ): number {
    const batch = layout.batch;
    // A small call is one chunk: the whole problem (copied without subarray objects).
    const rowsPerChunk = this.#rowsPerChunk;
    for (let from = 0; from < batch; from += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, batch - from);
      layout.copyIn(input, target, from, count);
      const found = this.#runRows(layout, from, count, g, simdMax, gradient);
      if (found >= 0) return found;
      if (gradInput !== undefined) layout.copyOut(gradInput, from, count);
    }
    return -1;
  }

  /**
   * Rows [from, from + count) of the call laid out in `layout`, on this thread: -1, or the index
   * of the first target out of range in them (then nothing is computed).
   */
  #runRows(
    layout: CallLayout,
    from: number,
    count: number,
    g: number,
    simdMax: number,
    gradient: boolean,
  ): number {
    const exports = this.#kernels.exports;
    const rows = layout.dtype === 'float32' ? exports.lossRowsF32 : exports.lossRowsF64;
    return rows(
      layout.inputPtr,
      layout.targetPtr,
      from,
      count,
      layout.classes,
      layout.sumsPtr,
      // A forward call on a gradient call's layout computes no gradient.
      gradient ? layout.gradPtr : 0,
      gradient ? layout.scalesPtr : 0,
      g,
      layout.scratch,
      simdMax,
    );
  }
}

/**
 * A computed call's results: its row sums reduced (into `out.output` when given) and the
 * gradient, or core-spec's error for the first target out of range. Made before the next call
 * can reuse the memory. The message names the value the kernels read (their copy), not the
 * caller's array now: on the threaded path the caller may have refilled it while the call waited.
 */
function finish(
  problem: Problem,
  layout: CallLayout,
  outOfRange: number,
  gradInput: FloatArray | undefined,
): RowResults {
  if (outOfRange >= 0) throw targetOutOfRangeError(layout.target, outOfRange, layout.classes);
  const output = reduceRowSums(problem, layout.sums);
  return gradInput === undefined ? { output } : { output, gradInput };
}

/** What forward, backward and forwardBackward return of a served call (made once, not per call). */
const pickOutput = (r: RowResults): FloatArray => r.output;
const pickGradInput = (r: RowResults): FloatArray => r.gradInput!;
const pickBoth = (r: RowResults): KernelResult => ({ output: r.output, gradInput: r.gradInput! });

/** `pick` of a served call's results: at once when computed before returning, else when it settles. */
function whenServed<R>(
  served: RowResults | Promise<RowResults>,
  pick: (results: RowResults) => R,
): R | Promise<R> {
  return served instanceof Promise ? served.then(pick) : pick(served);
}

/** A copy of `view` (in the team's memory) made by a worker, or here if the workers have failed. */
async function fromWorkers(team: WorkerTeam, view: FloatArray): Promise<FloatArray> {
  try {
    const buffer = await team.copyOut(view.byteOffset, view.byteLength);
    return view instanceof Float32Array ? new Float32Array(buffer) : new Float64Array(buffer);
  } catch {
    return view.slice();
  }
}
