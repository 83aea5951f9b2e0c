import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TFJS_TOLERANCE } from './agreement.js';
import type { Contender } from './Contender.js';
import { composedMultilabelMarginLoss, type Tf } from './tfjsComposedLoss.js';
import { timeTask } from './timeTask.js';

/** The TF.js peers: the composed loss on tfjs-backend-cpu and on tfjs-backend-wasm. */
export const TFJS_PEERS = { 'tfjs-cpu': 'cpu', 'tfjs-wasm': 'wasm' } as const;

/** A TF.js peer name. */
export type TfjsPeer = keyof typeof TFJS_PEERS;

/** A peer that could not be set up, and why. */
export interface UnavailablePeer {
  /** The peer's name. */
  readonly name: string;
  /** Why it is not in the run. */
  readonly reason: string;
}

let loaded: Promise<{ tf: Tf; version: string }> | undefined;

/** Loads tfjs-core with the cpu and wasm backends registered (the wasm binaries from the package's dist). */
export function loadTfjs(): Promise<{ tf: Tf; version: string }> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    // In Node the wasm backend reads its binaries from a file path; in a browser this would be a URL.
    wasm.setWasmPaths(`${wasmDist}/`);
    tf.env().set('PROD', true);
    return { tf, version: tf.version_core };
  })();
  return loaded;
}

/**
 * Makes the TF.js contenders. A call builds the tensors from the typed arrays, runs the
 * composition of {@link composedMultilabelMarginLoss} and reads the results back. Cases whose
 * `N·J·C` broadcast exceeds `maxBroadcastElements` are skipped with that reason (the composition
 * materialises `[N, J, C]` tensors, in row chunks). TF.js has no float64.
 */
export async function createTfjsContenders(
  peers: readonly TfjsPeer[],
  maxBroadcastElements: number,
): Promise<{ contenders: Contender[]; unavailable: UnavailablePeer[] }> {
  const contenders: Contender[] = [];
  const unavailable: UnavailablePeer[] = [];
  if (peers.length === 0) return { contenders, unavailable };
  let tf: Tf;
  let version: string;
  try {
    ({ tf, version } = await loadTfjs());
  } catch (error) {
    const reason = `could not load TF.js: ${error instanceof Error ? error.message : String(error)}`;
    return { contenders, unavailable: peers.map((name) => ({ name, reason })) };
  }
  for (const name of peers) {
    const backendName = TFJS_PEERS[name];
    const activate = async () => {
      if (tf.getBackend() !== backendName && !(await tf.setBackend(backendName))) {
        throw new Error(`tfjs backend '${backendName}' failed to initialise`);
      }
      await tf.ready();
    };
    try {
      await activate();
    } catch (error) {
      unavailable.push({ name, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    contenders.push({
      name,
      kind: 'peer',
      description: `TF.js ${version}, loss composed from tfjs-core ops, tfjs-backend-${backendName}`,
      tolerance: () => TFJS_TOLERANCE,
      skipReason: (shape, dtype) => {
        if (dtype !== 'float32') return 'TF.js has no float64';
        const broadcast = shape.batch * shape.targets * shape.classes;
        return broadcast > maxBroadcastElements
          ? `N·J·C = ${broadcast.toExponential(2)} exceeds the composed formulation's budget of ${maxBroadcastElements.toExponential(2)}`
          : undefined;
      },
      prepare: async ({ input, target, shape }) => {
        await activate();
        const run = (withGrad: boolean) =>
          composedMultilabelMarginLoss(
            tf,
            input.data as Float32Array,
            target.data,
            shape.batch,
            shape.classes,
            {
              withGrad,
            },
          );
        return {
          values: async (mode) => {
            const { loss, gradInput } = run(mode === 'forward-backward');
            return gradInput === null ? { output: [loss] } : { output: [loss], gradInput };
          },
          time: async (mode, options) => {
            await activate();
            return timeTask(`${name} ${mode}`, () => run(mode === 'forward-backward'), options, false);
          },
          release: async () => {},
        };
      },
      dispose: async () => {},
    });
  }
  return { contenders, unavailable };
}

/** Frees TF.js's variables; its backends hold no handle that would keep Node alive. */
export async function disposeTfjs(): Promise<void> {
  if (loaded === undefined) return;
  const { tf } = await loaded;
  tf.disposeVariables();
}
