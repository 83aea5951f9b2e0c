import { WasmArena } from './WasmArena.js';
import { instantiateKernels } from './WasmKernels.js';

/** A pass over input and target in WebAssembly that does nothing but read them. */
export interface WasmReadPass {
  /** Copies `input` and `target` into wasm memory as the backend does, sums them with SIMD, returns the sum. */
  run(input: Float32Array | Float64Array, target: Int32Array): number;
  /** Releases the instance (memory is reclaimed with it). */
  dispose(): void;
}

/**
 * The read-pass limit: the wasm backend's own copy of input and target into WebAssembly memory
 * (same layout, same reuse), followed by a SIMD pass that only reads every byte (input as
 * f32x4/f64x2 lanes, target as i32x4) and returns their sum so it cannot be optimised away. No
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
      new Int32Array(buffer, targetPtr, target.length).set(target);
      if (input instanceof Float32Array) {
        new Float32Array(buffer, inputPtr, size).set(input);
        return kernels.exports.readPassF32(inputPtr, size, targetPtr, target.length);
      }
      new Float64Array(buffer, inputPtr, size).set(input);
      return kernels.exports.readPassF64(inputPtr, size, targetPtr, target.length);
    },
    dispose() {
      disposed = true;
    },
  };
}
