import { spawnWorker } from '#worker-host';
import {
  CONTROL,
  CONTROL_BYTES,
  COPY_KIND,
  DONE_OFFSET,
  MAX_CHUNKS,
  MAX_WORKERS,
  PARAM,
  PARAMS_OFFSET,
  STOP_KIND,
  WORKER_BODY,
} from './workerBody.js';
import type { WorkerLike } from './workerHost.types.js';

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

/**
 * How long the host may sleep (Atomics.wait, where the engine allows it on this thread) without
 * any chunk finishing before it waits asynchronously instead, which also notices a dead worker.
 */
const HOST_BLOCK_MS = 50;
/** How long {@link WorkerTeam.stop} lets workers finish their chunk and return before it terminates them. */
const STOP_GRACE_MS = 2_000;
/** How long workers may take to start, in ms. */
const START_TIMEOUT_MS = 10_000;
/** Chunks per thread: small enough that a thread the OS pauses holds up little work. */
const CHUNKS_PER_THREAD = 8;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
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
  #stopped: Promise<void> | undefined;
  /** Copy jobs waiting for their buffer, by generation. */
  readonly #copies = new Map<number, (reply: { buffer?: ArrayBuffer; error?: string }) => void>();
  /** The job in flight, if any (settles when it does). */
  #running: Promise<void> | undefined;
  /** Set while a stop lets the workers finish and return: their exits are then no failure. */
  #draining = false;
  /** Rejects once a worker fails (outside a graceful stop) or the workers are terminated. */
  readonly #failed: Promise<never>;
  #fail: (error: Error) => void = () => {};

  private constructor(workers: readonly WorkerLike[], control: SharedArrayBuffer, failed: Promise<never>) {
    this.#workers = workers;
    this.#control = new Int32Array(control, 0, PARAMS_OFFSET / 4);
    this.#params = new Float64Array(control, PARAMS_OFFSET, PARAM.scratch + MAX_WORKERS);
    this.#done = new Int32Array(control, DONE_OFFSET, MAX_CHUNKS);
    this.#failed = new Promise<never>((_, reject) => {
      this.#fail = (error) => {
        this.#failure ??= error.message;
        reject(error);
      };
    });
    this.#failed.catch(() => {});
    failed.catch((error: unknown) => {
      if (!this.#draining) this.#fail(error instanceof Error ? error : new Error(String(error)));
    });
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
    for (const worker of workers) {
      worker.onMessage((message) => {
        const reply = message as { copy?: number; buffer?: ArrayBuffer; error?: string };
        if (reply.copy === undefined) return;
        team.#copies.get(reply.copy)?.(reply);
        team.#copies.delete(reply.copy);
      });
    }
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
      worker.post({ module, memory, control, index });
    }
    try {
      await Promise.race([ready, team.#failed, late]);
    } catch (error) {
      await team.stop(0);
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

  /**
   * Runs `job` on the workers (worker i with scratch space `scratch[i]`) and, when `runHere` is
   * given, on this thread too, chunk by chunk: `prepare` first copies each chunk's input, in
   * order, and the workers start on the first while the others are copied. Without `runHere`
   * this thread computes nothing and never blocks (a browser page's main thread): it only copies
   * and waits asynchronously. `finish`, if given, is called here once for every chunk, as soon as this
   * thread sees it computed (its own chunks at once), so that copying results out overlaps the
   * workers' computing. Resolves when all rows are done (and finished), with the lowest index of
   * a target out of range that any chunk found, or -1. Rejects if a worker fails or is
   * terminated (the caller then redoes the job alone) or a chunk threw; never hangs.
   */
  run(
    job: RowJob,
    scratch: readonly number[],
    prepare: RowsCallback,
    runHere: RowsKernel | undefined,
    finish?: RowsCallback,
  ): Promise<number> {
    if (this.#failure !== undefined) {
      return Promise.reject(new Error(`the worker threads are unavailable: ${this.#failure}`));
    }
    if (this.#running !== undefined) return Promise.reject(new Error('a job is already in flight'));
    // Set before the job starts: a `prepare` or `finish` callback may already call stop().
    let settled = () => {};
    this.#running = new Promise<void>((resolve) => {
      settled = () => {
        this.#running = undefined;
        resolve();
      };
    });
    const running = this.#runJob(job, scratch, prepare, runHere, finish);
    running.then(settled, settled);
    return running;
  }

  async #runJob(
    job: RowJob,
    scratch: readonly number[],
    prepare: RowsCallback,
    runHere: RowsKernel | undefined,
    finish: RowsCallback | undefined,
  ): Promise<number> {
    if (!(job.batch >= 1)) return -1;
    const generation = ++this.#generation;
    const control = this.#control;
    const done = this.#done;
    const threads = this.#workers.length + (runHere === undefined ? 0 : 1);
    const chunks = Math.min(job.batch, CHUNKS_PER_THREAD * threads, MAX_CHUNKS);
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
    const tag = (generation & 0x7fff) << 16;
    Atomics.store(control, CONTROL.status, 0);
    Atomics.store(control, CONTROL.completed, 0);
    Atomics.store(control, CONTROL.ready, 0);
    Atomics.store(control, CONTROL.outOfRange, -1);
    Atomics.store(control, CONTROL.claim, tag);
    Atomics.store(control, CONTROL.go, generation);
    Atomics.notify(control, CONTROL.go);

    for (let chunk = 0; chunk < count; chunk++) {
      prepare(...rowsOf(chunk));
      Atomics.store(control, CONTROL.ready, chunk + 1);
      Atomics.notify(control, CONTROL.ready);
    }
    const finished = new Uint8Array(count);
    /** Finishes computed chunks, at most `limit`; whether it reached the limit. */
    const finishDone = (limit = count) => {
      if (finish === undefined) return false;
      let finishedNow = 0;
      for (let i = 0; i < count && finishedNow < limit; i++) {
        if (finished[i] === 0 && Atomics.load(done, i) === 1) {
          finished[i] = 1;
          finish(...rowsOf(i));
          finishedNow++;
        }
      }
      return finishedNow === limit;
    };
    // A thread that computes nothing (a page's main thread) finishes one chunk per task, so that
    // copying results out never makes one long task.
    const finishPending = async () => {
      if (runHere !== undefined) finishDone();
      else while (finishDone(1)) await nextTask();
    };
    while (runHere !== undefined) {
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
      await finishPending();
      const completed = Atomics.load(control, CONTROL.completed);
      if (completed === count) break;
      await this.#completedPast(completed, runHere !== undefined);
    }
    await finishPending();
    if (Atomics.load(control, CONTROL.status) !== 0) throw new Error('a worker chunk threw');
    return Atomics.load(control, CONTROL.outOfRange);
  }

  /**
   * A copy of `bytes` bytes of the memory from `address`, in a new ArrayBuffer that a worker
   * makes and moves here: this thread takes none of its first-touch page faults (a fresh 32 MiB
   * array costs thousands; on some VMs more than computing it). Rejects if a worker fails.
   */
  copyOut(address: number, bytes: number): Promise<ArrayBuffer> {
    if (this.#failure !== undefined) {
      return Promise.reject(new Error(`the worker threads are unavailable: ${this.#failure}`));
    }
    if (this.#running !== undefined) return Promise.reject(new Error('a job is already in flight'));
    const generation = ++this.#generation;
    const copied = new Promise<ArrayBuffer>((resolve, reject) => {
      this.#copies.set(generation, (reply) => {
        if (reply.buffer !== undefined) resolve(reply.buffer);
        else reject(new Error(`a worker could not copy the result: ${reply.error}`));
      });
    });
    const p = this.#params;
    p[PARAM.kind] = COPY_KIND;
    p[PARAM.input] = address;
    p[PARAM.batch] = bytes;
    const control = this.#control;
    Atomics.store(control, CONTROL.claim, (generation & 0x7fff) << 16);
    Atomics.store(control, CONTROL.go, generation);
    Atomics.notify(control, CONTROL.go);
    let settled = () => {};
    this.#running = new Promise<void>((resolve) => {
      settled = () => {
        this.#running = undefined;
        this.#copies.delete(generation);
        resolve();
      };
    });
    for (const worker of this.#workers) worker.hold();
    const result = Promise.race([copied, this.#failed]);
    result.then(settled, settled).finally(() => {
      for (const worker of this.#workers) worker.release();
    });
    return result;
  }

  /**
   * Stops the workers; resolves once none of them can touch the memory any more. Jobs asked for
   * from now on reject; a job in flight is finished first (its {@link WorkerTeam.run} resolves
   * normally), then the workers are told to return; one that has not returned `graceMs` later is
   * terminated. `graceMs: 0` terminates them at once (a job in flight then rejects).
   */
  stop(graceMs: number = STOP_GRACE_MS): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  async #stop(graceMs: number): Promise<void> {
    const control = this.#control;
    if (this.#failure === undefined && graceMs > 0) {
      this.#failure = 'stopped';
      await this.#running;
      // A stop job: the (idle) workers take it, count themselves in `exited` and return.
      this.#draining = true;
      this.#params[PARAM.kind] = STOP_KIND;
      Atomics.store(control, CONTROL.go, ++this.#generation);
      Atomics.notify(control, CONTROL.go);
      const until = performance.now() + graceMs;
      for (const worker of this.#workers) worker.hold();
      try {
        for (;;) {
          const seen = Atomics.load(control, CONTROL.exited);
          const left = until - performance.now();
          if (seen >= this.#workers.length || left <= 0) break;
          await waitForChange(control, CONTROL.exited, seen, left);
        }
      } finally {
        for (const worker of this.#workers) worker.release();
      }
    }
    this.#failure ??= 'stopped';
    const returned = Atomics.load(control, CONTROL.exited) >= this.#workers.length;
    if (!returned) {
      // No worker claims another chunk (a claim of no job's tag), and one still running (a
      // browser terminates a busy worker only after a delay) returns at its next look at `go`.
      this.#params[PARAM.kind] = STOP_KIND;
      Atomics.store(control, CONTROL.claim, -1);
      Atomics.store(control, CONTROL.go, ++this.#generation);
      Atomics.notify(control, CONTROL.go);
      Atomics.notify(control, CONTROL.ready);
      // Workers that did not return are terminated: a job still waiting on them rejects.
      this.#fail(new Error('the worker threads were terminated'));
    }
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  /**
   * Resolves once the count of completed chunks is past `seen`: unless `mayBlock` is false (a job
   * this thread does not compute: it keeps its event loop free), it sleeps in Atomics.wait where
   * this thread may block (no spinning: it wakes in tens of microseconds and frees the core for
   * the workers), and past HOST_BLOCK_MS without progress, or where it may not block (browsers'
   * main thread: it throws there, and this thread never tries again), waits asynchronously,
   * which also notices a dead or terminated worker (then it rejects).
   */
  async #completedPast(seen: number, mayBlock: boolean): Promise<void> {
    const control = this.#control;
    if (canBlock && mayBlock) {
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

/** Resolves in a new task (a MessageChannel message where there is one: no timer clamping). */
function nextTask(): Promise<void> {
  if (typeof MessageChannel !== 'function') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Whether this thread may block in Atomics.wait (false on browsers' main thread, found by trying). */
let canBlock = true;

/**
 * Resolves once `array[index]` differs from `seen` (Atomics.waitAsync where the engine has it,
 * else polling), or once `timeoutMs` have passed.
 */
async function waitForChange(
  array: Int32Array,
  index: number,
  seen: number,
  timeoutMs: number = Number.POSITIVE_INFINITY,
): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  const until = performance.now() + timeoutMs;
  while (Atomics.load(array, index) === seen) {
    const left = until - performance.now();
    if (left <= 0) return;
    if (waitAsync !== undefined) {
      const result = waitAsync(array, index, seen, left);
      if (result.async) await result.value;
    } else {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1, left)));
    }
  }
}
