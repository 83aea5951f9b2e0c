import type { FloatArray, ILossBackend, Tensor } from '@mlml/core-spec';
import { describeError, expectError, supportedDtypes, tinyProblem, verdict } from './caseHelpers.js';
import type { CaseResult } from './runConformance.js';
import { stateProblem } from './stateProblem.js';
import { compareTensor, type Difference, effectiveTolerance } from './tolerance.js';

/**
 * The dispose policy (one behaviour for every backend): three calls (forward, backward,
 * forwardBackward on the 512 x 512 state problem) are started, then `dispose()` is called without
 * waiting for them. The calls must complete with their results (equal to the backend's own
 * results on the same problem before), `dispose()` must resolve only once they have all settled,
 * and a call made after it must reject with `BACKEND_DISPOSED`. Disposes the backend.
 */
export async function checkDisposal(backend: ILossBackend): Promise<CaseResult> {
  const base = { id: 'state/dispose', group: 'state', source: 'suite' };
  const differences: Difference[] = [];
  const dtype = supportedDtypes(backend)[0] ?? 'float32';
  const { input, target, gradOutput } = stateProblem(dtype);
  const options = { reduction: 'none' } as const;
  let before: { output: Tensor<FloatArray>; gradInput: Tensor<FloatArray> } | undefined;
  try {
    before = await backend.forwardBackward(input, target, gradOutput, options);
  } catch (error) {
    differences.push({ call: 'forwardBackward', tensor: 'error', message: `threw ${describeError(error)}` });
  }
  const settled = [false, false, false];
  const track = <T>(k: number, call: Promise<T>) =>
    call.then(
      (value) => {
        settled[k] = true;
        return { value } as const;
      },
      (error: unknown) => {
        settled[k] = true;
        return { error } as const;
      },
    );
  const calls = [
    track(0, backend.forward(input, target, options)),
    track(1, backend.backward(input, target, gradOutput, options)),
    track(2, backend.forwardBackward(input, target, gradOutput, options)),
  ] as const;
  try {
    await backend.dispose();
    if (!settled.every(Boolean)) {
      differences.push({
        call: 'dispose',
        tensor: 'result',
        message: 'dispose() resolved before the calls in flight had settled',
      });
    }
  } catch (error) {
    differences.push({
      call: 'dispose',
      tensor: 'error',
      message: `dispose() threw ${describeError(error)}`,
    });
  }
  const [forward, backward, both] = await Promise.all(calls);
  const tolerance = effectiveTolerance(backend.capabilities, dtype);
  const classes = input.shape[1]!;
  const inFlight = (
    call: string,
    outcome: { readonly value: unknown } | { readonly error: unknown },
  ): outcome is { readonly value: never } => {
    if ('error' in outcome) {
      differences.push({
        call,
        tensor: 'error',
        message: `a call in flight when dispose() was called threw ${describeError(outcome.error)}; it must complete with its result`,
      });
      return false;
    }
    return before !== undefined;
  };
  if (inFlight('forward', forward)) {
    differences.push(
      ...compareTensor(
        'forward',
        'output',
        forward.value as Tensor<FloatArray>,
        before!.output,
        tolerance,
        1,
        1,
      ),
    );
  }
  if (inFlight('backward', backward)) {
    differences.push(
      ...compareTensor(
        'backward',
        'grad_input',
        backward.value as Tensor<FloatArray>,
        before!.gradInput,
        tolerance,
        classes,
        1,
      ),
    );
  }
  if (inFlight('forwardBackward', both)) {
    const value = both.value as { output: Tensor<FloatArray>; gradInput: Tensor<FloatArray> };
    differences.push(
      ...compareTensor('forwardBackward', 'output', value?.output, before!.output, tolerance, 1, 1),
      ...compareTensor(
        'forwardBackward',
        'grad_input',
        value?.gradInput,
        before!.gradInput,
        tolerance,
        classes,
        1,
      ),
    );
  }
  const { input: small, target: smallTarget } = tinyProblem(dtype);
  differences.push(
    ...(await expectError(
      'forward after dispose()',
      () => backend.forward(small, smallTarget),
      'BACKEND_DISPOSED',
    )),
    ...(await expectError(
      'forwardBackward after dispose()',
      () => backend.forwardBackward(small, smallTarget),
      'BACKEND_DISPOSED',
    )),
  );
  return verdict(base, differences);
}
