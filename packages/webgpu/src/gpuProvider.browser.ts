/** The browser's WebGPU: `navigator.gpu`. Chosen through the `#gpu-provider` subpath import. */

/** Returns `navigator.gpu`, or rejects saying why it is missing. */
export async function loadGpu(): Promise<GPU> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) {
    throw new Error('navigator.gpu is not available (this browser or context has no WebGPU)');
  }
  return gpu;
}
