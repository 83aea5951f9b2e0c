import type { ILossBackend, LossOptions } from '@mlml/core-spec';
import { expectError, supportedDtypes, tinyProblem, verdict } from './caseHelpers.js';
import type { CaseResult } from './runConformance.js';
import type { Difference } from './tolerance.js';

/** Options of the wrong kind, each of which a call must refuse with `INVALID_OPTIONS`. */
const WRONG_OPTIONS: readonly [string, unknown][] = [
  ["a string ('sum') instead of an options object", 'sum'],
  ['a number', 42],
  ['null', null],
  ['an array', ['sum']],
  ['an unknown key (reductoin)', { reductoin: 'sum' }],
  ['an unknown key beside a valid one', { reduction: 'sum', dtype: 'float16' }],
  ["outputLocation 'gpu'", { outputLocation: 'gpu' }],
  ['outputLocation true', { outputLocation: true }],
  ['out that is a number', { out: 5 }],
  ['out that is an array', { out: [] }],
];

/**
 * Checks that options of the wrong type are refused with `INVALID_OPTIONS` (DESIGN §2: a wrongly
 * typed argument is a LossError, never a silent default) by `forward`, `backward` and
 * `forwardBackward`, and that `outputLocation: 'cpu'` (the default, spelled out) computes.
 */
export async function checkOptionTypes(backend: ILossBackend): Promise<CaseResult> {
  const base = { id: 'state/option-types', group: 'state', source: 'suite' };
  const differences: Difference[] = [];
  const dtype = supportedDtypes(backend)[0] ?? 'float32';
  const { input, target } = tinyProblem(dtype);
  const gradOutput = { data: dtype === 'float32' ? new Float32Array([1]) : new Float64Array([1]), shape: [] };
  for (const [what, options] of WRONG_OPTIONS) {
    const o = options as LossOptions;
    const found = [
      ...(await expectError('forward', () => backend.forward(input, target, o), 'INVALID_OPTIONS')),
      ...(await expectError(
        'backward',
        () => backend.backward(input, target, gradOutput, o),
        'INVALID_OPTIONS',
      )),
      ...(await expectError(
        'forwardBackward',
        () => backend.forwardBackward(input, target, undefined, o),
        'INVALID_OPTIONS',
      )),
    ];
    differences.push(...found.map((d) => ({ ...d, message: `options ${what}: ${d.message}` })));
  }
  try {
    const output = await backend.forward(input, target, { reduction: 'sum', outputLocation: 'cpu' });
    if (!(Math.abs((output.data[0] ?? Number.NaN) - 0.85) < 1e-6)) {
      differences.push({
        call: 'forward',
        tensor: 'output',
        message: `with outputLocation 'cpu' the example's loss is ${output.data[0]}, expected 0.85`,
      });
    }
  } catch (error) {
    differences.push({
      call: 'forward',
      tensor: 'error',
      message: `outputLocation 'cpu' was refused: ${String(error)}`,
    });
  }
  return verdict(base, differences);
}
