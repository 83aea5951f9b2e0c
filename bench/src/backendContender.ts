import type { ILossBackend, OutArrays } from '@mlml/core-spec';
import { DEFAULT_TOLERANCE, widerTolerance } from './agreement.js';
import { type Contender, MODES, type Mode } from './Contender.js';
import { timeTask } from './timeTask.js';

/** The contender name of the wasm backend on one thread, timed next to the (threaded) default. */
export const WASM_SINGLE_THREAD = 'wasm-1t';

/** The suffix of a contender that writes into caller-owned result arrays (`out`), e.g. `wasm-out`. */
export const OUT_SUFFIX = '-out';

/**
 * Calls of each mode a `reuseOutputs` contender makes before it is timed, as a training loop has
 * made them before its steady state: the first calls of a shape grow the backend's memory, and
 * the wasm thread policy times its placements on them (2 uncounted calls and 5 of each placement).
 */
export const TRAINING_LOOP_WARMUP_CALLS = 16;
/** ... unless they take longer than this, in ms per mode (a slow backend on a wide shape). */
export const TRAINING_LOOP_WARMUP_MS = 2000;

/** How a backend contender calls its backend. */
export interface BackendContenderOptions {
  /**
   * Whether every call writes into result arrays made once per case (the `out` option), as a
   * training loop does, instead of returning fresh ones; such a contender is timed in a training
   * loop's steady state, after {@link TRAINING_LOOP_WARMUP_CALLS} calls of each mode.
   * @default false
   */
  readonly reuseOutputs?: boolean;
}

/**
 * Makes a contender of an mlml backend. A call is what a user makes: typed arrays in,
 * `reduction: 'mean'` (the default), typed arrays out; `forwardBackward` with its default
 * grad_output of 1. With `reuseOutputs`, results go into arrays allocated once per case (a
 * training loop's calls, timed after {@link TRAINING_LOOP_WARMUP_CALLS} of them). The agreement
 * tolerance is the bench's, widened to the backend's declared one. `name` names the contender
 * (default: the backend's name).
 */
export function backendContender(
  backend: ILossBackend,
  name: string = backend.name,
  options: BackendContenderOptions = {},
): Contender {
  const { capabilities } = backend;
  const threads = capabilities.threads ?? 1;
  const reuse = options.reuseOutputs === true;
  return {
    name,
    kind: 'backend',
    description:
      `mlml backend '${backend.name}' (dtypes: ${capabilities.dtypes.join(', ')}` +
      `${threads > 1 ? `; ${threads} threads` : name.startsWith(WASM_SINGLE_THREAD) ? '; 1 thread' : ''}` +
      `${reuse ? '; results written into arrays made once (out)' : ''}` +
      // The backend's own notes: webgpu's name the adapter (a fallback adapter is a CPU emulation).
      `${capabilities.notes?.length ? `; ${capabilities.notes.join('; ')}` : ''})`,
    tolerance: (dtype) => widerTolerance(DEFAULT_TOLERANCE[dtype], capabilities.tolerance[dtype]),
    skipReason: (_shape, dtype) =>
      capabilities.dtypes.includes(dtype) ? undefined : `${name} does not implement ${dtype}`,
    prepare: async ({ input, target, shape }) => {
      const dtype = input.data instanceof Float32Array ? Float32Array : Float64Array;
      const out: OutArrays | undefined = reuse
        ? { output: new dtype(1), gradInput: new dtype(shape.batch * shape.classes) }
        : undefined;
      const forwardOptions = out === undefined ? undefined : { out: { output: out.output! } };
      const bothOptions = out === undefined ? undefined : { out };
      const run = (mode: Mode) =>
        mode === 'forward'
          ? backend.forward(input, target, forwardOptions)
          : backend.forwardBackward(input, target, undefined, bothOptions);
      if (reuse) {
        for (const mode of MODES) {
          const started = performance.now();
          for (let i = 0; i < TRAINING_LOOP_WARMUP_CALLS; i++) {
            await run(mode);
            if (performance.now() - started > TRAINING_LOOP_WARMUP_MS) break;
          }
        }
      }
      return {
        values: async (mode) => {
          if (mode === 'forward')
            return { output: (await backend.forward(input, target, forwardOptions)).data.slice() };
          const { output, gradInput } = await backend.forwardBackward(input, target, undefined, bothOptions);
          return { output: output.data.slice(), gradInput: gradInput.data.slice() };
        },
        time: (mode, timing) => timeTask(`${name} ${mode}`, () => run(mode), timing),
        release: async () => {},
      };
    },
    dispose: () => backend.dispose(),
  };
}
