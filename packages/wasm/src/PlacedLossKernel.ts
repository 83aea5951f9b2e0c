import type { BackwardProblem, FloatArray, KernelResult, LossKernel, Problem } from '@mlml/core-spec';
import type { CallShape, ThreadPolicy } from './ThreadPolicy.js';
import type { WasmLossKernel } from './WasmLossKernel.js';
import type { WorkerTeam } from './WorkerTeam.js';

/**
 * The threaded wasm backend's kernel: each call goes, as its {@link ThreadPolicy} decides, to a
 * kernel on a private memory (computing alone on the calling thread: a shared memory makes the
 * kernels' loads and stores slower, 13-27% on small problems here) or to the kernel on the
 * workers' shared memory (its own policy shares every call it gets). The time of each call made
 * while no other is in flight is reported to the policy. Results are bit-identical either way.
 * Each kernel serves its calls in order; a call computed alone may settle before an earlier
 * shared one.
 */
export class PlacedLossKernel implements LossKernel {
  /** Both kernels check the target range on the copy they read. */
  readonly checksTargetRange = true;
  readonly #here: WasmLossKernel;
  readonly #shared: WasmLossKernel;
  readonly #team: WorkerTeam;
  readonly #policy: ThreadPolicy;
  #inFlight = 0;

  /**
   * `here` computes on the calling thread alone (a private memory), `shared` with `team` (on the
   * team's memory); `policy` chooses per call.
   */
  constructor(here: WasmLossKernel, shared: WasmLossKernel, team: WorkerTeam, policy: ThreadPolicy) {
    this.#here = here;
    this.#shared = shared;
    this.#team = team;
    this.#policy = policy;
  }

  /** Threads that compute large problems (see {@link WasmLossKernel.threads}). */
  get threads(): number {
    return this.#shared.threads;
  }

  /** The forward output data (length N for `none`, else 1). */
  forward(problem: Problem): FloatArray | Promise<FloatArray> {
    // Small calls (always here, never timed) go straight to the kernel: microseconds count.
    if (this.#policy.alwaysHere(problem.batch, problem.classes)) return this.#here.forward(problem);
    return this.#placed(problem, false, (kernel) => kernel.forward(problem));
  }

  /** The gradient data (the input's length), scaled by `problem.gradOutput`. */
  backward(problem: BackwardProblem): FloatArray | Promise<FloatArray> {
    if (this.#policy.alwaysHere(problem.batch, problem.classes)) return this.#here.backward(problem);
    return this.#placed(problem, true, (kernel) => kernel.backward(problem));
  }

  /** Output and gradient from one pass over the data. */
  forwardBackward(problem: BackwardProblem): KernelResult | Promise<KernelResult> {
    if (this.#policy.alwaysHere(problem.batch, problem.classes)) return this.#here.forwardBackward(problem);
    return this.#placed(problem, true, (kernel) => kernel.forwardBackward(problem));
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    await this.#shared.dispose();
  }

  #placed<T>(
    problem: Problem,
    gradient: boolean,
    call: (kernel: WasmLossKernel) => T | Promise<T>,
  ): T | Promise<T> {
    const shape: CallShape = {
      batch: problem.batch,
      classes: problem.classes,
      dtype: problem.dtype,
      gradient,
    };
    const placement = this.#policy.place(shape, this.#team.failure === undefined);
    const timed = this.#inFlight === 0;
    const started = performance.now();
    // Called at once: each kernel copies the inputs (or takes copies) before it returns.
    const result = call(placement === 'here' ? this.#here : this.#shared);
    if (!(result instanceof Promise)) {
      // Computed on this thread before returning.
      if (timed) this.#policy.record(shape, placement, performance.now() - started);
      return result;
    }
    this.#inFlight++;
    return result
      .then((value) => {
        if (timed) this.#policy.record(shape, placement, performance.now() - started);
        return value;
      })
      .finally(() => {
        this.#inFlight--;
      });
  }
}
