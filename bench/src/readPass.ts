import type { FloatArray } from '@mlml/core-spec';

/**
 * A pass that only reads a problem's bytes (input and target) and returns a sum of them: the
 * floor under any loss kernel on the same platform, the "limit" the bench compares backends with.
 * The shape the wasm and webgpu packages export (`createWasmReadPass`, `createWebGpuReadPass`).
 */
export interface ReadPass {
  /** Reads every element of `input` and `target`; returns something derived from all of them. */
  run(input: FloatArray, target: Int32Array): number | Promise<number>;
  /** Releases what the pass holds (memory, device). */
  dispose(): void | Promise<void>;
}

/** The read passes the bench knows: a plain JS loop, SIMD wasm, and a WebGPU copy-and-sum kernel. */
export type ReadPassKind = 'js' | 'wasm' | 'webgpu';

/** Which read pass bounds a backend: its own platform's (JS for cpu-ts, the reference and unknown ones). */
export function readPassFor(backend: string): ReadPassKind {
  return backend === 'wasm' || backend === 'wasm-1t' ? 'wasm' : backend === 'webgpu' ? 'webgpu' : 'js';
}

/** The read-pass row name, e.g. `read-pass:wasm`. */
export function readPassRowName(kind: ReadPassKind): string {
  return `read-pass:${kind}`;
}

/**
 * The JS read pass: one loop over both arrays with two accumulators, the way cpu-ts reads them.
 * Returns the sum of all input values plus the sum of all targets.
 */
export function createJsReadPass(): ReadPass {
  return {
    run(input, target) {
      let values = 0;
      let targets = 0;
      const length = input.length;
      for (let i = 0; i < length; i++) {
        values += input[i]!;
        targets += target[i]!;
      }
      return values + targets;
    },
    dispose() {},
  };
}

/** A read pass that cannot run here, and why (e.g. the package does not export it yet). */
export interface UnavailableReadPass {
  /** Why it is missing. */
  readonly reason: string;
}

type ReadPassFactory = () => ReadPass | Promise<ReadPass>;

/**
 * Loads a platform's read pass by feature detection: `createWasmReadPass` from `@mlml/wasm`,
 * `createWebGpuReadPass` from `@mlml/webgpu`, and the JS loop. A missing export or a failing
 * factory gives the reason instead.
 */
export async function loadReadPass(kind: ReadPassKind): Promise<ReadPass | UnavailableReadPass> {
  if (kind === 'js') return createJsReadPass();
  const [specifier, exportName] =
    kind === 'wasm' ? ['@mlml/wasm', 'createWasmReadPass'] : ['@mlml/webgpu', 'createWebGpuReadPass'];
  try {
    const module = (kind === 'wasm' ? await import('@mlml/wasm') : await import('@mlml/webgpu')) as Record<
      string,
      unknown
    >;
    const factory = module[exportName];
    if (typeof factory !== 'function')
      return { reason: `n/a: ${specifier} does not export ${exportName} (yet)` };
    const pass = await (factory as ReadPassFactory)();
    if (typeof pass?.run !== 'function') return { reason: `n/a: ${exportName}() returned no run()` };
    return pass;
  } catch (error) {
    return { reason: `${exportName} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
