import { LossError } from '@mlml/core-spec';
import { PAGE_BYTES, type WasmKernels } from './WasmKernels.js';

/** Rounds up to a multiple of 16 bytes (SIMD alignment). */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Lays out regions one after another above the module's static data and makes sure the memory
 * holds them, growing it only when a call needs more than any call before (so memory stays flat
 * over repeated calls). Too much is a `LossError` with code `INPUT_TOO_LARGE`.
 */
export class WasmArena {
  readonly #kernels: WasmKernels;
  readonly #base: number;
  #end: number;

  /** An arena over the memory of `kernels`, starting above its static data. */
  constructor(kernels: WasmKernels) {
    this.#kernels = kernels;
    this.#base = align16(kernels.exports.heapBase() >>> 0);
    this.#end = this.#base;
  }

  /** Starts a new layout; earlier regions are released. */
  reset(): this {
    this.#end = this.#base;
    return this;
  }

  /** Reserves `bytes` (16-byte aligned, plus 16 bytes of slack for SIMD tails); returns the address. */
  take(bytes: number, what: string): number {
    const start = this.#end;
    this.#end = start + align16(bytes) + 16;
    if (this.#end > this.#kernels.maxBytes) this.#tooLarge(what, this.#end);
    return start;
  }

  /** Grows the memory to hold everything taken since `reset`. Returns the (possibly new) buffer. */
  commit(): ArrayBuffer {
    const memory = this.#kernels.memory;
    const have = memory.buffer.byteLength;
    if (this.#end > have) {
      const pages = Math.ceil((this.#end - have) / PAGE_BYTES);
      try {
        memory.grow(pages);
      } catch (cause) {
        this.#tooLarge('the call', this.#end, cause);
      }
    }
    return memory.buffer;
  }

  #tooLarge(what: string, bytes: number, cause?: unknown): never {
    throw new LossError(
      'INPUT_TOO_LARGE',
      `wasm: ${what} needs ${bytes} bytes of WebAssembly memory, more than it can have ` +
        `(at most ${this.#kernels.maxBytes} bytes${cause === undefined ? '' : ', and growing it failed'})`,
      cause === undefined ? undefined : { cause },
    );
  }
}
