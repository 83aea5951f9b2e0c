import {
  type BackwardProblem,
  type FloatArray,
  type KernelResult,
  LossError,
  type LossKernel,
  type Problem,
  reduceRowSums,
  targetOutOfRangeError,
} from '@mlml/core-spec';
import { spawnWorker } from '#worker-host';
import { PROXY_BODY, type ProxyJob, type ProxyLayout, type ProxyReply } from './proxyBody.js';
import { HERE_MAX_ELEMENTS } from './ThreadPolicy.js';
import { WasmArena } from './WasmArena.js';
import type { WasmKernels } from './WasmKernels.js';
import { defaultSimdMaxTargets, WasmLossKernel } from './WasmLossKernel.js';
import type { WorkerLike } from './workerHost.types.js';

/** How long the proxy worker may take to start, in ms. */
const START_TIMEOUT_MS = 10_000;

interface Pending {
  readonly resolve: (reply: ProxyReply) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The wasm {@link LossKernel} for a browser page's main thread where there is no
 * SharedArrayBuffer: problems of more than {@link HERE_MAX_ELEMENTS} elements are computed by
 * one proxy worker with its own instance of the kernels, so the page never freezes; smaller ones
 * (microseconds) here, on an instance of its own. Inputs are copied when the call is made (the
 * copies are moved to the worker), so a caller may refill its arrays at once; results are the
 * single-threaded kernel's, bit for bit. If the worker fails or is terminated, the calls it
 * holds reject with `BACKEND_UNAVAILABLE` (none hangs) and later calls are computed here.
 */
export class ProxyLossKernel implements LossKernel {
  /** The target range is checked by the kernels, on the copy they read (see WasmLossKernel). */
  readonly checksTargetRange = true;
  readonly #local: WasmLossKernel;
  readonly #layoutArena: WasmArena;
  readonly #kernels: WasmKernels;
  readonly #simdMaxTargets: number | undefined;
  readonly #worker: WorkerLike;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: string | undefined;
  /**
   * Buffers the input and target copies are made in, moved to the worker with a call and back
   * with its answer: reused, their pages are touched once (a fresh 32 MiB buffer costs this
   * thread thousands of first-touch page faults, more than the computing on some VMs).
   */
  #staging: ArrayBuffer[] = [];

  private constructor(kernels: WasmKernels, simdMaxTargets: number | undefined, worker: WorkerLike) {
    this.#kernels = kernels;
    this.#local = new WasmLossKernel(kernels, simdMaxTargets);
    this.#layoutArena = new WasmArena(kernels);
    this.#simdMaxTargets = simdMaxTargets;
    this.#worker = worker;
    worker.onMessage((message) => {
      const reply = message as ProxyReply;
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      pending?.resolve(reply);
    });
    worker.onFailure((reason) => {
      this.#failure ??= reason;
      const error = new LossError(
        'BACKEND_UNAVAILABLE',
        `wasm: the worker thread computing this call stopped (${reason})`,
      );
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
  }

  /**
   * Starts the proxy worker with an instance of `kernels.module` (a module of the private-memory
   * build) on a memory of its own of at most `maxPages` pages; `kernels` (same module) serves
   * small calls here.
   */
  static async start(
    kernels: WasmKernels,
    maxPages: number,
    simdMaxTargets?: number,
  ): Promise<ProxyLossKernel> {
    const worker = await spawnWorker(PROXY_BODY);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error('the worker thread did not start in time')),
          START_TIMEOUT_MS,
        );
        worker.onFailure((reason) => reject(new Error(reason)));
        worker.onMessage((message) => {
          const reply = message as { ready?: boolean; error?: string };
          if (reply.ready === true) resolve();
          else if (reply.error !== undefined)
            reject(new Error(`the worker could not instantiate the kernels: ${reply.error}`));
        });
        worker.hold();
        worker.post({ module: kernels.module, maxPages });
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      clearTimeout(timer);
      worker.release();
    }
    return new ProxyLossKernel(kernels, simdMaxTargets, worker);
  }

  /** Threads that compute large problems: the proxy worker (or, once it failed, this one). */
  get threads(): number {
    return 1;
  }

  /** The forward output data (length N for `none`, else 1). */
  async forward(problem: Problem): Promise<FloatArray> {
    if (this.#here(problem)) return this.#local.forward(problem);
    const { sums } = await this.#call(problem, undefined);
    return reduceRowSums(problem, sums);
  }

  /** The gradient data (the input's length), scaled by `problem.gradOutput`. */
  async backward(problem: BackwardProblem): Promise<FloatArray> {
    if (this.#here(problem)) return this.#local.backward(problem);
    return (await this.#call(problem, problem.gradOutput)).grad;
  }

  /** Output and gradient from one pass over the data. */
  async forwardBackward(problem: BackwardProblem): Promise<KernelResult> {
    if (this.#here(problem)) return this.#local.forwardBackward(problem);
    const { sums, grad } = await this.#call(problem, problem.gradOutput);
    return { output: reduceRowSums(problem, sums), gradInput: grad };
  }

  /** Stops the worker; calls it still holds reject with `BACKEND_UNAVAILABLE`. */
  async dispose(): Promise<void> {
    this.#failure ??= 'disposed';
    await this.#worker.terminate();
  }

  /** A staging buffer of at least `bytes` (the largest free one, if it is large enough). */
  #stagingBuffer(bytes: number): ArrayBuffer {
    this.#staging.sort((a, b) => a.byteLength - b.byteLength);
    const index = this.#staging.findIndex((buffer) => buffer.byteLength >= bytes);
    if (index < 0) {
      this.#staging.pop(); // a smaller one is dropped: the new one takes its place
      return new ArrayBuffer(bytes);
    }
    return this.#staging.splice(index, 1)[0]!;
  }

  #here(problem: Problem): boolean {
    return this.#failure !== undefined || problem.batch * problem.classes <= HERE_MAX_ELEMENTS;
  }

  /**
   * Sends the call to the worker: copies of the arrays (taken now, so the caller may refill its
   * own at once), laid out by the same arena rules as WasmLossKernel's (sizes are checked here,
   * `INPUT_TOO_LARGE` before anything is sent).
   */
  async #call(
    problem: Problem,
    gradOutput: FloatArray | undefined,
  ): Promise<{ sums: Float64Array; grad: FloatArray }> {
    const { batch, classes, dtype, reduction } = problem;
    const size = batch * classes;
    const elementBytes = dtype === 'float32' ? 4 : 8;
    const arena = this.#layoutArena.reset();
    const target = arena.take(size * 4, 'the target');
    const input = arena.take(size * elementBytes, 'the input');
    const sums = arena.take(batch * 8, 'the row sums');
    const scales = gradOutput === undefined ? 0 : arena.take(batch * 8, 'grad_output');
    const grad = gradOutput === undefined ? 0 : arena.take(size * elementBytes, 'the gradient');
    const scratch = arena.take(this.#kernels.exports.scratchBytes(classes), 'scratch space');
    const layout: ProxyLayout = {
      target,
      input,
      sums,
      scales,
      grad,
      scratch,
      end: arena.take(0, 'the call'),
    };
    let scaleValues: Float64Array | null = null;
    let g = 0;
    if (gradOutput !== undefined) {
      scaleValues = new Float64Array(batch);
      if (reduction === 'none') for (let n = 0; n < batch; n++) scaleValues[n] = gradOutput[n]!;
      else scaleValues.fill(gradOutput[0]!);
      g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
    }
    const id = this.#nextId++;
    const inputCopy =
      dtype === 'float32'
        ? new Float32Array(this.#stagingBuffer(size * 4), 0, size)
        : new Float64Array(this.#stagingBuffer(size * 8), 0, size);
    inputCopy.set(problem.input);
    const targetCopy = new Int32Array(this.#stagingBuffer(size * 4), 0, size);
    targetCopy.set(problem.target);
    const job: ProxyJob = {
      id,
      kind: dtype === 'float32' ? 0 : 1,
      input: inputCopy,
      target: targetCopy,
      scales: scaleValues,
      batch,
      classes,
      g,
      simdMax: this.#simdMaxTargets ?? defaultSimdMaxTargets(classes),
      layout,
    };
    const reply = await new Promise<ProxyReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const moved: Transferable[] = [job.input.buffer, job.target.buffer];
      if (scaleValues !== null) moved.push(scaleValues.buffer);
      this.#worker.hold();
      this.#worker.post(job, moved);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.release();
    });
    this.#staging.push(reply.input.buffer as ArrayBuffer, reply.target.buffer as ArrayBuffer);
    if ('bad' in reply) throw targetOutOfRangeError(reply.target, reply.bad, classes);
    if ('error' in reply) {
      throw new LossError(
        reply.grow ? 'INPUT_TOO_LARGE' : 'BACKEND_UNAVAILABLE',
        reply.grow
          ? `wasm: the call needs ${layout.end} bytes of WebAssembly memory, and growing the worker's memory failed (${reply.error})`
          : `wasm: the worker thread failed: ${reply.error}`,
      );
    }
    return { sums: reply.sums, grad: reply.grad ?? new Float64Array(0) };
  }
}
