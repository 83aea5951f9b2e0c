import { LossError } from '@mlml/core-spec';
import { PAGE_BYTES, type WasmKernels } from './WasmKernels.js';

/** Rounds up to a multiple of 16 bytes (SIMD alignment). */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Lays out regions one after another above the module's static data and makes sure the memory
 * holds them, growing it only when a call needs more than any call before (so memory stays flat
 * over repeated calls). Every size and address is a JavaScript number (a double, exact to 2^53),
 * checked against the memory's maximum in {@link WasmArena.commit} before any of them is handed
 * to the kernels as a 32-bit value. Too much is a `LossError` with code `INPUT_TOO_LARGE` that
 * names the bytes needed and the bytes available.
 */
export class WasmArena {
  readonly #kernels: WasmKernels;
  readonly #base: number;
  #end: number;
  /** The largest region taken since `reset`, for the error message. */
  #largest = { what: '', bytes: 0 };

  /** An arena over the memory of `kernels`, starting above its static data. */
  constructor(kernels: WasmKernels) {
    this.#kernels = kernels;
    this.#base = align16(kernels.exports.heapBase() >>> 0);
    this.#end = this.#base;
  }

  /** Starts a new layout; earlier regions are released. */
  reset(): this {
    this.#end = this.#base;
    this.#largest = { what: '', bytes: 0 };
    return this;
  }

  /**
   * Reserves `bytes` (16-byte aligned, plus 16 bytes of slack for SIMD tails); returns the
   * address, valid once {@link WasmArena.commit} has accepted the layout.
   */
  take(bytes: number, what: string): number {
    if (!(bytes >= 0 && Number.isSafeInteger(bytes))) {
      throw new LossError(
        'INPUT_TOO_LARGE',
        `wasm: ${what} needs ${bytes} bytes, not a size a memory can hold`,
      );
    }
    const start = this.#end;
    this.#end = start + align16(bytes) + 16;
    if (bytes > this.#largest.bytes) this.#largest = { what, bytes };
    return start;
  }

  /**
   * Checks that everything taken since `reset` fits the memory's maximum and grows the memory to
   * hold it. Returns the (possibly new) buffer. Throws `INPUT_TOO_LARGE` otherwise.
   */
  commit(): ArrayBuffer {
    if (this.#end > this.#kernels.maxBytes) this.#tooLarge();
    const memory = this.#kernels.memory;
    const have = memory.buffer.byteLength;
    if (this.#end > have) {
      const pages = Math.ceil((this.#end - have) / PAGE_BYTES);
      try {
        memory.grow(pages);
      } catch (cause) {
        this.#tooLarge(cause);
      }
    }
    return memory.buffer;
  }

  #tooLarge(cause?: unknown): never {
    const { what, bytes } = this.#largest;
    throw new LossError(
      'INPUT_TOO_LARGE',
      `wasm: the call needs ${this.#end} bytes of WebAssembly memory (${what}: ${bytes} bytes), ` +
        `more than the ${this.#kernels.maxBytes} bytes available` +
        (cause === undefined ? '' : ` (growing the memory to that size failed: ${String(cause)})`),
      cause === undefined ? undefined : { cause },
    );
  }
}
