import { WasmArena } from './WasmArena.js';
import { instantiateKernels } from './WasmKernels.js';

/** Elements per chunk of the read pass: the same as the kernel's chunks on one thread. */
const READ_CHUNK_ELEMENTS = 16_384;

/** A pass over input and target in WebAssembly that does nothing but read them. */
export interface WasmReadPass {
  /** Copies `input` and `target` into wasm memory as the backend does, sums them with SIMD, returns the sum. */
  run(input: Float32Array | Float64Array, target: Int32Array): number;
  /** Releases the instance (memory is reclaimed with it). */
  dispose(): void;
}

/**
 * The read-pass limit: the wasm backend's own copy of input and target into WebAssembly memory
 * (same layout, same reuse, chunk by chunk as on one thread), each chunk followed by a SIMD pass
 * that only reads its bytes (input as f32x4/f64x2 lanes, target as i32x4); returns their sum
 * so that nothing can be optimised away. No
 * loss computation can take less time than this on the same engine; the bench reports each
 * backend's time as a fraction of it.
 */
export async function createWasmReadPass(): Promise<WasmReadPass> {
  const kernels = await instantiateKernels();
  const arena = new WasmArena(kernels);
  let disposed = false;
  return {
    run(input, target) {
      if (disposed) throw new Error('wasm read pass: disposed');
      const size = input.length;
      const elementBytes = input instanceof Float32Array ? 4 : 8;
      arena.reset();
      const targetPtr = arena.take(target.length * 4, 'the target');
      const inputPtr = arena.take(size * elementBytes, 'the input');
      const buffer = arena.commit();
      const targetView = new Int32Array(buffer, targetPtr, target.length);
      const inputView =
        input instanceof Float32Array
          ? new Float32Array(buffer, inputPtr, size)
          : new Float64Array(buffer, inputPtr, size);
      const read = input instanceof Float32Array ? kernels.exports.readPassF32 : kernels.exports.readPassF64;
      // Chunk by chunk, as the kernel does on one thread: each chunk is read while in cache.
      let sum = 0;
      for (let start = 0; start < Math.max(size, target.length); start += READ_CHUNK_ELEMENTS) {
        const end = Math.min(start + READ_CHUNK_ELEMENTS, size);
        const targetEnd = Math.min(start + READ_CHUNK_ELEMENTS, target.length);
        targetView.set(target.subarray(start, targetEnd), start);
        inputView.set(input.subarray(start, end), start);
        sum += read(
          inputPtr + start * elementBytes,
          Math.max(0, end - start),
          targetPtr + start * 4,
          Math.max(0, targetEnd - start),
        );
      }
      return sum;
    },
    dispose() {
      disposed = true;
    },
  };
}
