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

/** The proxy worker's answer to a {@link ProxyJob}. */
export type ProxyReply =
  | { readonly id: number; readonly sums: Float64Array; readonly grad: Float32Array | Float64Array | null }
  /** A target out of range: its index, and the target copy the worker checked (moved back). */
  | { readonly id: number; readonly bad: number; readonly target: Int32Array }
  /** The call failed; `grow` when the memory could not grow to the layout's `end`. */
  | { readonly id: number; readonly error: string; readonly grow: boolean };

/**
 * The source of the proxy worker's function `(receive, send, listen) => void`: the wasm backend
 * on a browser page's main thread without SharedArrayBuffer computes there, off the page's
 * thread. Its first message is `{ module, maxPages }`: it instantiates the kernels on a memory
 * of its own and answers `{ ready: true }` (or `{ error }`). Every later message is a
 * {@link ProxyJob}: it grows the memory to the layout's `end`, copies the arrays in, runs
 * lossRowsF32/F64 over all rows (which first checks the targets) and answers a
 * {@link ProxyReply}, moving its result arrays to the page.
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
      const { id, kind, batch, classes, layout } = job;
      const size = batch * classes;
      try {
        const have = memory.buffer.byteLength;
        if (layout.end > have) {
          try {
            memory.grow(Math.ceil((layout.end - have) / 65536));
          } catch (error) {
            send({ id, error: String(error), grow: true });
            return;
          }
        }
        const buffer = memory.buffer;
        const Floats = kind === 0 ? Float32Array : Float64Array;
        new Int32Array(buffer, layout.target, size).set(job.target);
        new Floats(buffer, layout.input, size).set(job.input);
        if (job.scales !== null) new Float64Array(buffer, layout.scales, batch).set(job.scales);
        const rows = kind === 0 ? kernels.lossRowsF32 : kernels.lossRowsF64;
        const bad = rows(layout.input, layout.target, 0, batch, classes, layout.sums, layout.grad,
          layout.scales, job.g, layout.scratch, job.simdMax);
        if (bad >= 0) {
          send({ id, bad, target: job.target }, [job.target.buffer]);
          return;
        }
        const sums = new Float64Array(buffer, layout.sums, batch).slice();
        const grad = layout.grad === 0 ? null : new Floats(buffer, layout.grad, size).slice();
        send({ id, sums, grad }, grad === null ? [sums.buffer] : [sums.buffer, grad.buffer]);
      } catch (error) {
        send({ id, error: String(error), grow: false });
      }
    });
    send({ ready: true });
  });
}`;
