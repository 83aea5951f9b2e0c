import type { ILossBackend } from '@mlml/core-spec';
import { DEFAULT_TOLERANCE, widerTolerance } from './agreement.js';
import type { Contender, Mode } from './Contender.js';
import { timeTask } from './timeTask.js';

/** The contender name of the wasm backend on one thread, timed next to the (threaded) default. */
export const WASM_SINGLE_THREAD = 'wasm-1t';

/**
 * Makes a contender of an mlml backend. A call is what a user makes: typed arrays in,
 * `reduction: 'mean'` (the default), typed arrays out; `forwardBackward` with its default
 * grad_output of 1. The agreement tolerance is the bench's, widened to the backend's declared one.
 * `name` names the contender (default: the backend's name).
 */
export function backendContender(backend: ILossBackend, name: string = backend.name): Contender {
  const { capabilities } = backend;
  const threads = capabilities.threads ?? 1;
  return {
    name,
    kind: 'backend',
    description:
      `mlml backend '${backend.name}' (dtypes: ${capabilities.dtypes.join(', ')}` +
      `${threads > 1 ? `; ${threads} threads` : name === WASM_SINGLE_THREAD ? '; 1 thread' : ''})`,
    tolerance: (dtype) => widerTolerance(DEFAULT_TOLERANCE[dtype], capabilities.tolerance[dtype]),
    skipReason: (_shape, dtype) =>
      capabilities.dtypes.includes(dtype) ? undefined : `${name} does not implement ${dtype}`,
    prepare: async ({ input, target }) => {
      const run = (mode: Mode) =>
        mode === 'forward' ? backend.forward(input, target) : backend.forwardBackward(input, target);
      return {
        values: async (mode) => {
          if (mode === 'forward') return { output: (await backend.forward(input, target)).data };
          const { output, gradInput } = await backend.forwardBackward(input, target);
          return { output: output.data, gradInput: gradInput.data };
        },
        time: (mode, options) => timeTask(`${name} ${mode}`, () => run(mode), options),
        release: async () => {},
      };
    },
    dispose: () => backend.dispose(),
  };
}
