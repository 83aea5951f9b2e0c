/**
 * Node's WebGPU: the `webgpu` package (Dawn). Chosen through the `#gpu-provider` subpath import
 * under the `node` condition, so browser bundles never see it.
 */

let cached: GPU | undefined;

/** Loads Dawn and returns its `GPU` entry point (created once per process). */
export async function loadGpu(): Promise<GPU> {
  if (cached !== undefined) return cached;
  let module: { create(options: string[]): GPU; globals: object };
  try {
    module = (await import('webgpu')) as typeof module;
  } catch (error) {
    throw new Error(
      `the 'webgpu' package (Dawn for Node) could not be loaded; install it next to @mlml/webgpu ` +
        `(${error instanceof Error ? error.message : String(error)})`,
    );
  }
  // Dawn's objects check `instanceof` against these globals (GPUBufferUsage and friends).
  Object.assign(globalThis, module.globals);
  cached = module.create([]);
  return cached;
}
