/** Indices of the Int32 slots of a team's control block (see {@link WORKER_BODY}). */
export const CONTROL = {
  /** Generation whose job parameters are written; workers sleep while it equals their last job's. */
  go: 0,
  /** Workers that have returned (after a stop job): none of them touches the memory any more. */
  exited: 1,
  /** The chunk counter: (generation & 0x7fff) << 16 | next chunk to claim. */
  claim: 2,
  /** Chunks of the current job finished so far. */
  completed: 3,
  /** 0 while every chunk ran to its end, 1 once one threw. */
  status: 4,
  /** Chunks whose input is in memory (the host copies chunk by chunk while workers start). */
  ready: 5,
  /** The lowest index of a target out of range found so far in the job, or -1. */
  outOfRange: 6,
} as const;

/** Byte offset of the job parameters (Float64) in the control block. */
export const PARAMS_OFFSET = 32;
/** Indices of the Float64 job parameters. */
export const PARAM = {
  /** 0: float32 rows, 1: float64 rows, {@link STOP_KIND}: return. */
  kind: 0,
  input: 1,
  target: 2,
  batch: 3,
  classes: 4,
  sums: 5,
  grad: 6,
  scales: 7,
  g: 8,
  simdMax: 9,
  /** Rows per chunk (the last chunk may have fewer). */
  rowsPerChunk: 10,
  /** Chunks in the job. */
  chunks: 11,
  /** Scratch address of worker i at `scratch + i`. */
  scratch: 12,
} as const;
/** The most workers a team can have. */
export const MAX_WORKERS = 15;
/** The most chunks a job is cut into. */
export const MAX_CHUNKS = 256;
/** Byte offset of the chunks' done flags (Int32, 1 once chunk i is computed, reset per job). */
export const DONE_OFFSET = PARAMS_OFFSET + 8 * (PARAM.scratch + MAX_WORKERS);
/** Bytes of a control block. */
export const CONTROL_BYTES = DONE_OFFSET + 4 * MAX_CHUNKS;
/** `kind` that makes the workers return. */
export const STOP_KIND = -1;
/**
 * `kind` of a copy job: one worker copies `batch` bytes from address `input` of the memory into
 * a new ArrayBuffer and posts it, moved, as `{ copy: generation, buffer }` (or `{ copy, error }`).
 */
export const COPY_KIND = 2;

/**
 * The source of a worker's function `(receive, send) => void`, run as a plain script in a Node
 * worker thread or a Web Worker. Its first message is `{ module, memory, control, index }`: it
 * instantiates the kernels on the shared memory, answers `{ ready: true }` (or `{ error }`), and
 * then serves jobs through the control block, without messages. It never spins while idle: it
 * sleeps in `Atomics.wait` on `go` until a new generation's parameters are out (a stop job: it
 * counts itself in `exited` and returns), then claims chunks of rows from `claim` until none is
 * left, sleeping on `ready` when the chunk it claims next is not yet copied in (the host copies
 * chunks in order and notifies `ready`). Each chunk runs lossRowsF32/F64 (which first checks the
 * chunk's targets: the lowest index out of range goes to `outOfRange`), is flagged done and
 * counted in `completed` (notified). A claim carries the job's generation, so a worker that
 * arrives late never takes a chunk of another job. A {@link COPY_KIND} job is taken by one
 * worker, which answers with a message.
 */
export const WORKER_BODY = `(receive, send) => {
  receive((init) => {
    let kernels;
    try {
      kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    } catch (error) {
      send({ error: String(error) });
      return;
    }
    const control = new Int32Array(init.control, 0, ${PARAMS_OFFSET / 4});
    const p = new Float64Array(init.control, ${PARAMS_OFFSET}, ${PARAM.scratch + MAX_WORKERS});
    const done = new Int32Array(init.control, ${DONE_OFFSET}, ${MAX_CHUNKS});
    send({ ready: true });
    let last = 0;
    for (;;) {
      let gen = Atomics.load(control, ${CONTROL.go});
      while (gen === last) {
        Atomics.wait(control, ${CONTROL.go}, last);
        gen = Atomics.load(control, ${CONTROL.go});
      }
      // The latest job: a worker that woke late for a job the host has done alone takes the next.
      last = gen;
      if (p[${PARAM.kind}] === ${STOP_KIND}) {
        Atomics.add(control, ${CONTROL.exited}, 1);
        Atomics.notify(control, ${CONTROL.exited});
        return;
      }
      const tag = (gen & 0x7fff) << 16;
      if (p[${PARAM.kind}] === ${COPY_KIND}) {
        const claim = Atomics.load(control, ${CONTROL.claim});
        if (claim === tag && Atomics.compareExchange(control, ${CONTROL.claim}, claim, claim + 1) === claim) {
          try {
            const buffer = new ArrayBuffer(p[${PARAM.batch}]);
            new Uint8Array(buffer).set(new Uint8Array(init.memory.buffer, p[${PARAM.input}], p[${PARAM.batch}]));
            send({ copy: gen, buffer }, [buffer]);
          } catch (error) {
            send({ copy: gen, error: String(error) });
          }
        }
        continue;
      }
      const rows = p[${PARAM.kind}] === 0 ? kernels.lossRowsF32 : kernels.lossRowsF64;
      const chunks = p[${PARAM.chunks}];
      const per = p[${PARAM.rowsPerChunk}];
      const batch = p[${PARAM.batch}];
      const c = p[${PARAM.classes}];
      const scratch = p[${PARAM.scratch} + init.index];
      for (;;) {
        const claim = Atomics.load(control, ${CONTROL.claim});
        if ((claim & ~0xffff) !== tag || (claim & 0xffff) >= chunks) break;
        const ready = Atomics.load(control, ${CONTROL.ready});
        if ((claim & 0xffff) >= ready) {
          Atomics.wait(control, ${CONTROL.ready}, ready);
          continue;
        }
        if (Atomics.compareExchange(control, ${CONTROL.claim}, claim, claim + 1) !== claim) continue;
        const from = (claim & 0xffff) * per;
        const count = Math.min(per, batch - from);
        try {
          const bad = rows(
            p[${PARAM.input}],
            p[${PARAM.target}],
            from,
            count,
            c,
            p[${PARAM.sums}],
            p[${PARAM.grad}],
            p[${PARAM.scales}],
            p[${PARAM.g}],
            scratch,
            p[${PARAM.simdMax}],
          );
          // Keep the lowest index out of range of the job (as WorkerTeam's lowerOutOfRange).
          for (;;) {
            const current = Atomics.load(control, ${CONTROL.outOfRange});
            if (bad < 0 || (current >= 0 && current <= bad)) break;
            if (Atomics.compareExchange(control, ${CONTROL.outOfRange}, current, bad) === current) break;
          }
        } catch {
          Atomics.store(control, ${CONTROL.status}, 1);
        }
        Atomics.store(done, claim & 0xffff, 1);
        Atomics.add(control, ${CONTROL.completed}, 1);
        Atomics.notify(control, ${CONTROL.completed});
      }
    }
  });
}`;
