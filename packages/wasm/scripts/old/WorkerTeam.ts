import { spawnWorker } from '#worker-host';
import type { WorkerLike } from '../../src/workerHost.types.js';
import {
  CONTROL,
  CONTROL_BYTES,
  DONE_OFFSET,
  MAX_CHUNKS,
  MAX_WORKERS,
  PARAM,
  PARAMS_OFFSET,
  STOP_KIND,
  WORKER_BODY,
} from './workerBody.js';

/** One lossRowsF32/F64 job over all rows (pointers are byte offsets into the shared memory). */
export interface RowJob {
  /** 0: float32 rows, 1: float64 rows. */
  readonly kind: 0 | 1;
  /** Address of the first row of input (N·C elements). */
  readonly input: number;
  /** Address of the first row of targets (N·C i32). */
  readonly target: number;
  /** N: rows in the job. */
  readonly batch: number;
  /** C: classes per row. */
  readonly classes: number;
  /** Address of the N f64 row sums (written). */
  readonly sums: number;
  /** Address of the gradient (written), or 0 for none. */
  readonly grad: number;
  /** Address of the N f64 grad_output scales, or 0. */
  readonly scales: number;
  /** The gradient unit: 1/C or 1/(N·C). */
  readonly g: number;
  /** Largest J counted by SIMD compare-and-count. */
  readonly simdMax: number;
}

/** Does something for rows [from, from + count) of the job on this thread. */
export type RowsCallback = (from: number, count: number) => void;

/**
 * Computes rows [from, from + count) of the job on this thread: -1, or the index of the first
 * target out of range in them.
 */
export type RowsKernel = (from: number, count: number) => number;

/** How long a woken worker spins for its job before it sleeps again, in ms. */
const WORKER_SPIN_MS = 2;
/** How long the host spins for the last chunks before it sleeps, in ms. */
const HOST_SPIN_MS = 0.05;
/**
 * How long the host may sleep (Atomics.wait, where the engine allows it on this thread) without
 * any chunk finishing before it waits asynchronously instead, which also notices a dead worker.
 */
const HOST_BLOCK_MS = 50;
/** How long workers may take to start, in ms. */
const START_TIMEOUT_MS = 10_000;
/** Chunks per thread: small enough that a thread the OS pauses holds up little work. */
const CHUNKS_PER_THREAD = 8;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Worker threads, each with its own instance of the kernels on the backend's shared memory,
 * sharing a job with this thread. A job is cut into chunks of rows that every thread claims
 * from one atomic counter, so a thread the OS pauses only delays the chunk it holds. Jobs go
 * through a small shared control block, without messages: {@link WorkerTeam.run} wakes the
 * threads, hands out a job, works on it here too, and resolves when every chunk is done.
 */
export class WorkerTeam {
  readonly #workers: readonly WorkerLike[];
  readonly #control: Int32Array;
  readonly #params: Float64Array;
  /** Chunk i's done flag (1 once computed), reset by each job. */
  readonly #done: Int32Array;
  #generation = 0;
  #failure: string | undefined;
  readonly #failed: Promise<never>;

  private constructor(workers: readonly WorkerLike[], control: SharedArrayBuffer, failed: Promise<never>) {
    this.#workers = workers;
    this.#control = new Int32Array(control, 0, PARAMS_OFFSET / 4);
    this.#params = new Float64Array(control, PARAMS_OFFSET, PARAM.scratch + MAX_WORKERS);
    this.#done = new Int32Array(control, DONE_OFFSET, MAX_CHUNKS);
    this.#failed = failed.catch((error: unknown) => {
      this.#failure ??= String(error instanceof Error ? error.message : error);
      throw error;
    });
    this.#failed.catch(() => {});
  }

  /** Starts `count` workers, each instantiating `module` on `memory` (shared). */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
  ): Promise<WorkerTeam> {
    if (!(count >= 1 && count <= MAX_WORKERS)) throw new RangeError(`a team has 1 to ${MAX_WORKERS} workers`);
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const spawned = await Promise.allSettled(Array.from({ length: count }, () => spawnWorker(WORKER_BODY)));
    const workers = spawned.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const notSpawned = spawned.find((result) => result.status === 'rejected');
    if (notSpawned !== undefined) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw new Error(`a worker thread could not be started: ${String(notSpawned.reason)}`);
    }
    const failed = new Promise<never>((_, reject) => {
      for (const worker of workers) worker.onFailure((reason) => reject(new Error(reason)));
    });
    const team = new WorkerTeam(workers, control, failed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ready = Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.onMessage((message) => {
              const reply = message as { ready?: boolean; error?: string };
              if (reply.ready === true) resolve();
              else reject(new Error(`a worker could not instantiate the kernels: ${reply.error}`));
            });
          }),
      ),
    );
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the worker threads did not start in time')),
        START_TIMEOUT_MS,
      );
    });
    for (const [index, worker] of workers.entries()) {
      worker.hold();
      worker.post({ module, memory, control, index, spinMs: WORKER_SPIN_MS });
    }
    try {
      await Promise.race([ready, team.#failed, late]);
    } catch (error) {
      await team.stop();
      throw error;
    } finally {
      clearTimeout(timer);
      for (const worker of workers) worker.release();
    }
    return team;
  }

  /** The number of workers (this thread not included). */
  get size(): number {
    return this.#workers.length;
  }

  /** Why the team stopped working, if it did; it takes no jobs then. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Starts a new generation and wakes the workers for it (they start once `go` catches up). */
  #wake(): void {
    this.#generation++;
    Atomics.store(this.#control, CONTROL.wake, this.#generation);
    Atomics.notify(this.#control, CONTROL.wake);
  }

  /**
   * Runs `job` on the workers (worker i with scratch space `scratch[i]`) and on this thread
   * (`runHere`), chunk by chunk: `prepare` first copies each chunk's input, in order, and the
   * workers start on the first while the others are copied. `finish`, if given, is called here
   * once for every chunk, as soon as this thread sees it computed (its own chunks at once), so
   * that copying results out overlaps the workers' computing. Resolves when all rows are done
   * (and finished), with the lowest index of a target out of range that any chunk found, or -1.
   * Rejects if a worker fails (the caller then redoes the job alone) or a chunk threw.
   */
  async run(
    job: RowJob,
    scratch: readonly number[],
    prepare: RowsCallback,
    runHere: RowsKernel,
    finish?: RowsCallback,
  ): Promise<number> {
    if (this.#failure !== undefined) throw new Error(`the worker threads are unavailable: ${this.#failure}`);
    if (!(job.batch >= 1)) return -1;
    this.#wake();
    const control = this.#control;
    const done = this.#done;
    const chunks = Math.min(job.batch, CHUNKS_PER_THREAD * (this.#workers.length + 1), MAX_CHUNKS);
    const perChunk = Math.ceil(job.batch / chunks);
    const count = Math.ceil(job.batch / perChunk);
    const rowsOf = (chunk: number): [from: number, count: number] => {
      const from = chunk * perChunk;
      return [from, Math.min(perChunk, job.batch - from)];
    };
    const p = this.#params;
    p[PARAM.kind] = job.kind;
    p[PARAM.input] = job.input;
    p[PARAM.target] = job.target;
    p[PARAM.batch] = job.batch;
    p[PARAM.classes] = job.classes;
    p[PARAM.sums] = job.sums;
    p[PARAM.grad] = job.grad;
    p[PARAM.scales] = job.scales;
    p[PARAM.g] = job.g;
    p[PARAM.simdMax] = job.simdMax;
    p[PARAM.rowsPerChunk] = perChunk;
    p[PARAM.chunks] = count;
    for (let i = 0; i < this.#workers.length; i++) p[PARAM.scratch + i] = scratch[i]!;
    for (let i = 0; i < count; i++) Atomics.store(done, i, 0);
    const tag = (this.#generation & 0x7fff) << 16;
    Atomics.store(control, CONTROL.status, 0);
    Atomics.store(control, CONTROL.completed, 0);
    Atomics.store(control, CONTROL.ready, 0);
    Atomics.store(control, CONTROL.outOfRange, -1);
    Atomics.store(control, CONTROL.claim, tag);
    Atomics.store(control, CONTROL.go, this.#generation);
    Atomics.notify(control, CONTROL.go);

    for (let chunk = 0; chunk < count; chunk++) {
      prepare(...rowsOf(chunk));
      Atomics.store(control, CONTROL.ready, chunk + 1);
    }
    const finished = new Uint8Array(count);
    const finishDone = () => {
      if (finish === undefined) return;
      for (let i = 0; i < count; i++) {
        if (finished[i] === 0 && Atomics.load(done, i) === 1) {
          finished[i] = 1;
          finish(...rowsOf(i));
        }
      }
    };
    for (;;) {
      const claim = Atomics.load(control, CONTROL.claim);
      if ((claim & ~0xffff) !== tag || (claim & 0xffff) >= count) break;
      if (Atomics.compareExchange(control, CONTROL.claim, claim, claim + 1) !== claim) continue;
      const chunk = claim & 0xffff;
      lowerOutOfRange(control, runHere(...rowsOf(chunk)));
      Atomics.store(done, chunk, 1);
      Atomics.add(control, CONTROL.completed, 1);
      finishDone();
    }
    for (;;) {
      finishDone();
      const completed = Atomics.load(control, CONTROL.completed);
      if (completed === count) break;
      await this.#completedPast(completed);
    }
    finishDone();
    if (Atomics.load(control, CONTROL.status) !== 0) throw new Error('a worker chunk threw');
    return Atomics.load(control, CONTROL.outOfRange);
  }

  /** Stops the workers; resolves once none of them can touch the memory any more. */
  async stop(): Promise<void> {
    if (this.#failure === undefined) {
      this.#wake();
      this.#params[PARAM.kind] = STOP_KIND;
      Atomics.store(this.#control, CONTROL.go, this.#generation);
      Atomics.notify(this.#control, CONTROL.go);
    }
    this.#failure ??= 'stopped';
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  /**
   * Resolves once the count of completed chunks is past `seen`: it spins briefly, then sleeps
   * in Atomics.wait where this thread may block (it wakes in tens of microseconds and frees the
   * core for the workers), and past HOST_BLOCK_MS without progress, or where it may not block
   * (browsers' main thread: it throws there, and this thread never tries again), waits
   * asynchronously, which also notices a dead worker (then it rejects).
   */
  async #completedPast(seen: number): Promise<void> {
    const control = this.#control;
    const until = performance.now() + HOST_SPIN_MS;
    while (Atomics.load(control, CONTROL.completed) === seen && performance.now() < until) {}
    if (Atomics.load(control, CONTROL.completed) !== seen) return;
    if (canBlock) {
      try {
        if (Atomics.wait(control, CONTROL.completed, seen, HOST_BLOCK_MS) !== 'timed-out') return;
      } catch {
        canBlock = false;
      }
    }
    if (Atomics.load(control, CONTROL.completed) !== seen) return;
    for (const worker of this.#workers) worker.hold();
    try {
      await Promise.race([waitForChange(control, CONTROL.completed, seen), this.#failed]);
    } finally {
      for (const worker of this.#workers) worker.release();
    }
  }
}

/**
 * Records `index` (a target out of range, or -1 for none) in the control block's `outOfRange`
 * unless a lower one is there. The worker script does the same (see {@link WORKER_BODY}).
 */
function lowerOutOfRange(control: Int32Array, index: number): void {
  if (index < 0) return;
  for (;;) {
    const current = Atomics.load(control, CONTROL.outOfRange);
    if (current >= 0 && current <= index) return;
    if (Atomics.compareExchange(control, CONTROL.outOfRange, current, index) === current) return;
  }
}

/** Whether this thread may block in Atomics.wait (false on browsers' main thread, found by trying). */
let canBlock = true;

/** Resolves once `array[index]` differs from `seen` (Atomics.waitAsync where the engine has it, else polling). */
async function waitForChange(array: Int32Array, index: number, seen: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  while (Atomics.load(array, index) === seen) {
    if (waitAsync !== undefined) {
      const result = waitAsync(array, index, seen);
      if (result.async) await result.value;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
