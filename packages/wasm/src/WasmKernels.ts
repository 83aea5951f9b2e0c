import { LossError } from '@mlml/core-spec';
import { decodeBase64 } from './decodeBase64.js';
import { WASM_BINARY_BASE64, WASM_SHARED_BINARY_BASE64 } from './generated/wasmBinary.js';
import { hasWasmSimd } from './simdSupport.js';

/**
 * One dtype's kernel for rows [from, from + count) of a job (pointers are byte offsets into the
 * module's memory, at the job's first row): checks the rows' targets, then writes their row sums
 * S_n into `sums` (f64), and the gradient into `grad` unless it is 0. Answers -1, or the index
 * (from `target`) of the first target outside [-1, classes - 1], having computed nothing.
 */
type LossRows = (
  input: number,
  target: number,
  from: number,
  count: number,
  classes: number,
  sums: number,
  grad: number,
  scales: number,
  g: number,
  scratch: number,
  simdMax: number,
) => number;

/** The functions the AssemblyScript module exports (pointers are byte offsets into its memory). */
export interface KernelExports {
  /** First free byte after the module's static data. */
  heapBase(): number;
  /** Scratch bytes the loss kernels need for rows of `classes` classes (computed in 64 bits). */
  scratchBytes(classes: number): number;
  /** Checks and computes rows of a float32 job. */
  lossRowsF32: LossRows;
  /** As {@link KernelExports.lossRowsF32}, for float64 input. */
  lossRowsF64: LossRows;
  /** Sums `n` f32 and `m` i32: the read-pass limit. */
  readPassF32(input: number, n: number, target: number, m: number): number;
  /** Sums `n` f64 and `m` i32: the read-pass limit. */
  readPassF64(input: number, n: number, target: number, m: number): number;
}

/** Bytes in a WebAssembly page. */
export const PAGE_BYTES = 65_536;
/** The most pages a 32-bit WebAssembly memory can have (4 GiB). */
export const MAX_PAGES = 65_536;

/** An instance of the kernels module with its own memory. */
export interface WasmKernels {
  /** The module's exported functions. */
  readonly exports: KernelExports;
  /** The memory the module imports (and owns for its lifetime). */
  readonly memory: WebAssembly.Memory;
  /** The largest size, in bytes, the memory may grow to. */
  readonly maxBytes: number;
  /** The compiled module (for worker threads, when the memory is shared). */
  readonly module: WebAssembly.Module;
  /** Whether the memory is shared (the threads build of the kernels). */
  readonly shared: boolean;
}

let compiled: Promise<WebAssembly.Module> | undefined;
let compiledShared: Promise<WebAssembly.Module> | undefined;

/**
 * Instantiates the kernels with a fresh memory of at most `maxPages` pages, shared (for worker
 * threads) when `shared` is true. Fails with `BACKEND_UNAVAILABLE` where WebAssembly or its SIMD
 * extension is missing.
 */
export async function instantiateKernels(
  maxPages: number = MAX_PAGES,
  shared: boolean = false,
): Promise<WasmKernels> {
  if (typeof WebAssembly !== 'object') {
    throw new LossError('BACKEND_UNAVAILABLE', 'wasm: this JavaScript engine has no WebAssembly');
  }
  if (!hasWasmSimd()) {
    throw new LossError(
      'BACKEND_UNAVAILABLE',
      'wasm: this engine does not support WebAssembly SIMD (128-bit), which the wasm kernels require',
    );
  }
  let module: WebAssembly.Module;
  if (shared) {
    compiledShared ??= WebAssembly.compile(
      decodeBase64(WASM_SHARED_BINARY_BASE64) as Uint8Array<ArrayBuffer>,
    );
    module = await compiledShared;
  } else {
    compiled ??= WebAssembly.compile(decodeBase64(WASM_BINARY_BASE64) as Uint8Array<ArrayBuffer>);
    module = await compiled;
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return {
    exports: instance.exports as unknown as KernelExports,
    memory,
    maxBytes: maxPages * PAGE_BYTES,
    module,
    shared,
  };
}
