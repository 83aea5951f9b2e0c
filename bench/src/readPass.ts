import type { FloatArray } from '@mlml/core-spec';

/**
 * A pass that only reads a problem's bytes (input and target) and returns a sum of them: the
 * floor under any loss kernel on the same platform, the "limit" the bench compares backends with.
 * The shape the wasm and webgpu packages export from their `./read-pass` subpaths
 * (`createWasmReadPass`, `createWebGpuReadPass`), and the shape a backend's own read pass takes.
 */
export interface ReadPass {
  /** Reads every element of `input` and `target`; returns something derived from all of them. */
  run(input: FloatArray, target: Int32Array): number | Promise<number>;
  /** Releases what the pass holds (memory, device). */
  dispose(): void | Promise<void>;
}

/** The read passes the bench knows: a plain JS loop, SIMD wasm, and a WebGPU copy-and-sum kernel. */
export type ReadPassKind = 'js' | 'wasm' | 'webgpu';

/** Makes a backend's own read pass. */
export type ReadPassFactory = () => ReadPass | Promise<ReadPass>;

/**
 * What a backend declares about its read pass: one of the bench's (`'js'`, `'wasm'`, `'webgpu'`),
 * or a factory of its own (its row is then `read-pass:<backend>`).
 */
export type ReadPassDeclaration = ReadPassKind | ReadPassFactory;

/**
 * The name of the export through which a module loaded with `--import` declares its backends'
 * read passes: `export const benchReadPasses = { mine: 'wasm' }` (or `{ mine: () => myReadPass() }`).
 */
export const READ_PASSES_EXPORT = 'benchReadPasses';

/** The read passes of the built-in backends. */
const BUILTIN_READ_PASSES: Readonly<Record<string, ReadPassKind>> = {
  wasm: 'wasm',
  'wasm-1t': 'wasm',
  'wasm-out': 'wasm',
  'wasm-1t-out': 'wasm',
  webgpu: 'webgpu',
  'webgpu-resident': 'webgpu',
  'cpu-ts': 'js',
};

/**
 * Which read pass bounds a backend: what it declared, else the built-ins' own platform's, else
 * the JS loop (the reference and undeclared backends).
 */
export function readPassFor(
  backend: string,
  declared: Readonly<Record<string, ReadPassDeclaration>> = {},
): ReadPassDeclaration {
  return declared[backend] ?? BUILTIN_READ_PASSES[backend] ?? 'js';
}

/** A read pass's key: the kind, or `backend:<name>` for a backend's own. */
export function readPassKey(backend: string, declaration: ReadPassDeclaration): string {
  return typeof declaration === 'string' ? declaration : backend;
}

/** The read-pass row name, e.g. `read-pass:wasm` (or `read-pass:mine` for a backend's own). */
export function readPassRowName(key: string): string {
  return `read-pass:${key}`;
}

/**
 * The read passes declared by modules loaded with `--import` (their {@link READ_PASSES_EXPORT}
 * exports), merged in order.
 * @throws {Error} for a declaration that is neither a known kind nor a function.
 */
export function declaredReadPasses(
  modules: readonly Record<string, unknown>[],
): Record<string, ReadPassDeclaration> {
  const declared: Record<string, ReadPassDeclaration> = {};
  for (const module of modules) {
    const entries = module[READ_PASSES_EXPORT];
    if (entries === undefined) continue;
    if (typeof entries !== 'object' || entries === null)
      throw new Error(
        `${READ_PASSES_EXPORT} must be an object of backend name -> 'js' | 'wasm' | 'webgpu' | factory`,
      );
    for (const [backend, value] of Object.entries(entries)) {
      if (typeof value !== 'function' && !['js', 'wasm', 'webgpu'].includes(value as string))
        throw new Error(
          `${READ_PASSES_EXPORT}.${backend} must be 'js', 'wasm', 'webgpu' or a function returning a read pass, got ${String(value)}`,
        );
      declared[backend] = value as ReadPassDeclaration;
    }
  }
  return declared;
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

/**
 * Loads a read pass: a backend's own factory, or a platform's by feature detection:
 * `createWasmReadPass` from `@mlml/wasm/read-pass`, `createWebGpuReadPass` from
 * `@mlml/webgpu/read-pass`, and the JS loop. A missing export or a failing factory gives the
 * reason instead.
 */
export async function loadReadPass(
  declaration: ReadPassDeclaration,
): Promise<ReadPass | UnavailableReadPass> {
  if (declaration === 'js') return createJsReadPass();
  const kind = declaration;
  const [specifier, exportName] =
    typeof kind === 'function'
      ? ['the backend', 'its read pass']
      : kind === 'wasm'
        ? ['@mlml/wasm/read-pass', 'createWasmReadPass']
        : ['@mlml/webgpu/read-pass', 'createWebGpuReadPass'];
  try {
    const factory =
      typeof kind === 'function'
        ? kind
        : (
            (kind === 'wasm'
              ? await import('@mlml/wasm/read-pass')
              : await import('@mlml/webgpu/read-pass')) as Record<string, unknown>
          )[exportName];
    if (typeof factory !== 'function')
      return { reason: `n/a: ${specifier} does not export ${exportName} (yet)` };
    const pass = await (factory as ReadPassFactory)();
    if (typeof pass?.run !== 'function') return { reason: `n/a: ${exportName}() returned no run()` };
    return pass;
  } catch (error) {
    return { reason: `${exportName} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
