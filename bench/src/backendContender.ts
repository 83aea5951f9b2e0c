import type { ILossBackend } from '@mlml/core-spec';
import { DEFAULT_TOLERANCE, widerTolerance } from './agreement.js';
import type { Contender, Mode } from './Contender.js';
import { timeTask } from './timeTask.js';

/**
 * Makes a contender of an mlml backend. A call is what a user makes: typed arrays in,
 * `reduction: 'mean'` (the default), typed arrays out; `forwardBackward` with its default
 * grad_output of 1. The agreement tolerance is the bench's, widened to the backend's declared one.
 */
export function backendContender(backend: ILossBackend): Contender {
  const { name, capabilities } = backend;
  return {
    name,
    kind: 'backend',
    description: `mlml backend '${name}' (dtypes: ${capabilities.dtypes.join(', ')})`,
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
