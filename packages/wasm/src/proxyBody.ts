/** Where a proxy job's arrays go in the proxy worker's memory (byte addresses; grad/scales 0: none). */
export interface ProxyLayout {
  readonly target: number;
  readonly input: number;
  readonly sums: number;
  readonly scales: number;
  readonly grad: number;
  readonly scratch: number;
  /** Bytes the memory must hold. */
  readonly end: number;
}

/** One call for the proxy worker: its own copies of the arrays (moved to it), and where they go. */
export interface ProxyJob {
  readonly id: number;
  /** 0: float32, 1: float64. */
  readonly kind: 0 | 1;
  readonly input: Float32Array | Float64Array;
  readonly target: Int32Array;
  /** The N grad_output scales, or null for a forward call. */
  readonly scales: Float64Array | null;
  readonly batch: number;
  readonly classes: number;
  readonly g: number;
  readonly simdMax: number;
  readonly layout: ProxyLayout;
}

/** What every answer to a {@link ProxyJob} carries: its id, and the job's arrays, moved back. */
interface ProxyAnswer {
  readonly id: number;
  readonly input: Float32Array | Float64Array;
  readonly target: Int32Array;
}

/** The proxy worker's answer to a {@link ProxyJob}. */
export type ProxyReply =
  | (ProxyAnswer & { readonly sums: Float64Array; readonly grad: Float32Array | Float64Array | null })
  /** A target out of range: its index (in `target`, the copy the worker checked). */
  | (ProxyAnswer & { readonly bad: number })
  /** The call failed; `grow` when the memory could not grow to the layout's `end`. */
  | (ProxyAnswer & { readonly error: string; readonly grow: boolean });

/**
 * The source of the proxy worker's function `(receive, send, listen) => void`: the wasm backend
 * on a browser page's main thread without SharedArrayBuffer computes there, off the page's
 * thread. Its first message is `{ module, maxPages }`: it instantiates the kernels on a memory
 * of its own and answers `{ ready: true }` (or `{ error }`). Every later message is a
 * {@link ProxyJob}: it grows the memory to the layout's `end`, copies the arrays in, runs
 * lossRowsF32/F64 over all rows (which first checks the targets) and answers a
 * {@link ProxyReply}, moving its result arrays and the job's own arrays back to the page.
 */
export const PROXY_BODY = `(receive, send, listen) => {
  receive((init) => {
    let kernels;
    let memory;
    try {
      memory = new WebAssembly.Memory({ initial: 1, maximum: init.maxPages });
      kernels = new WebAssembly.Instance(init.module, { env: { memory } }).exports;
    } catch (error) {
      send({ error: String(error) });
      return;
    }
    listen((job) => {
      const { id, kind, batch, classes, layout, input, target } = job;
      const size = batch * classes;
      // The job's arrays go back with every answer (the page reuses their buffers).
      const answer = (reply, moved = []) => send({ id, input, target, ...reply }, [input.buffer, target.buffer, ...moved]);
      try {
        const have = memory.buffer.byteLength;
        if (layout.end > have) {
          try {
            memory.grow(Math.ceil((layout.end - have) / 65536));
          } catch (error) {
            answer({ error: String(error), grow: true });
            return;
          }
        }
        const buffer = memory.buffer;
        const Floats = kind === 0 ? Float32Array : Float64Array;
        new Int32Array(buffer, layout.target, size).set(target);
        new Floats(buffer, layout.input, size).set(input);
        if (job.scales !== null) new Float64Array(buffer, layout.scales, batch).set(job.scales);
        const rows = kind === 0 ? kernels.lossRowsF32 : kernels.lossRowsF64;
        const bad = rows(layout.input, layout.target, 0, batch, classes, layout.sums, layout.grad,
          layout.scales, job.g, layout.scratch, job.simdMax);
        if (bad >= 0) {
          answer({ bad });
          return;
        }
        const sums = new Float64Array(buffer, layout.sums, batch).slice();
        const grad = layout.grad === 0 ? null : new Floats(buffer, layout.grad, size).slice();
        answer({ sums, grad }, grad === null ? [sums.buffer] : [sums.buffer, grad.buffer]);
      } catch (error) {
        answer({ error: String(error), grow: false });
      }
    });
    send({ ready: true });
  });
}`;
