import type { FloatArray, ILossBackend, LossOptions, Tensor } from '@mlml/core-spec';
import { describeError, expectError, supportedDtypes, verdict } from './caseHelpers.js';
import type { CaseResult } from './runConformance.js';
import { stateProblem } from './stateProblem.js';
import { compareTensor, type Difference, effectiveTolerance } from './tolerance.js';

/** What stale contents of a caller's array look like: a number no loss gives, and NaN. */
function garbage(array: FloatArray, round: number): FloatArray {
  for (let i = 0; i < array.length; i++) array[i] = (i + round) % 3 === 0 ? Number.NaN : 123456.75 + round;
  return array;
}

/**
 * Checks the `out` option (DESIGN §3): results are written into the caller's arrays and returned
 * as them (the same objects), whatever those arrays held before (they are filled with NaN and
 * garbage, twice for `none`, so neither stale values nor accumulation leak into results), for `forward`,
 * `backward` and `forwardBackward`, reductions `none` and `sum`, on the 512 x 512 state problem
 * (past every backend's splitting points); results must equal the backend's own results without
 * `out` (bit for bit when it declares itself deterministic). And arrays that cannot hold the
 * result are refused with `INVALID_OPTIONS`: the wrong dtype, the wrong length, or memory shared
 * with the input, target, grad_output or the other out array.
 */
export async function checkOutArrays(backend: ILossBackend): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dtype of supportedDtypes(backend)) {
    const base = { id: `state/out-arrays-${dtype}`, group: 'state', source: 'suite', dtype };
    const differences: Difference[] = [];
    const { input, target, gradOutput } = stateProblem(dtype);
    const Float = dtype === 'float32' ? Float32Array : Float64Array;
    const Other = dtype === 'float32' ? Float64Array : Float32Array;
    const exactly = backend.capabilities.deterministic === true;
    const tolerance = exactly ? { rtol: 0, atol: 0 } : effectiveTolerance(backend.capabilities, dtype);
    const classes = input.shape[1]!;
    const same = (
      call: string,
      tensor: 'output' | 'grad_input',
      got: unknown,
      given: FloatArray,
      want: Tensor<FloatArray>,
    ) => {
      const data = (got as Tensor<FloatArray> | undefined)?.data;
      if (data !== given) {
        differences.push({
          call,
          tensor,
          message: `${call} did not return the caller's out array as its ${tensor} data`,
        });
        return;
      }
      const found = compareTensor(
        call,
        tensor,
        got as Tensor<FloatArray>,
        want,
        tolerance,
        tensor === 'output' ? 1 : classes,
        1,
        'without out',
      );
      differences.push(
        ...found.map((d) => ({ ...d, message: `with out arrays prefilled with garbage: ${d.message}` })),
      );
    };
    try {
      for (const reduction of ['none', 'sum'] as const) {
        const options = { reduction };
        const outputLength = reduction === 'none' ? input.shape[0]! : 1;
        const go = reduction === 'none' ? gradOutput : { data: new Float([0.75]), shape: [] };
        const plain = await backend.forwardBackward(input, target, go, options);
        const plainForward = await backend.forward(input, target, options);
        const plainBackward = await backend.backward(input, target, go, options);
        for (const round of reduction === 'none' ? [0, 1] : [0]) {
          const output = garbage(new Float(outputLength), round);
          const f = await backend.forward(input, target, { ...options, out: { output } });
          same(`forward(${reduction}, out)`, 'output', f, output, plainForward);
          const gradInput = garbage(new Float(input.data.length), round);
          const b = await backend.backward(input, target, go, { ...options, out: { gradInput } });
          same(`backward(${reduction}, out)`, 'grad_input', b, gradInput, plainBackward);
          const both = {
            output: garbage(new Float(outputLength), round),
            gradInput: garbage(new Float(input.data.length), round),
          };
          const fb = await backend.forwardBackward(input, target, go, { ...options, out: both });
          same(`forwardBackward(${reduction}, out)`, 'output', fb.output, both.output, plain.output);
          same(
            `forwardBackward(${reduction}, out)`,
            'grad_input',
            fb.gradInput,
            both.gradInput,
            plain.gradInput,
          );
          if (round > 0) continue;
          // Only one of the two given: the other comes back as a fresh array, also right.
          const onlyGrad = garbage(new Float(input.data.length), round);
          const fg = await backend.forwardBackward(input, target, go, {
            ...options,
            out: { gradInput: onlyGrad },
          });
          same(
            `forwardBackward(${reduction}, out.gradInput only)`,
            'grad_input',
            fg.gradInput,
            onlyGrad,
            plain.gradInput,
          );
          differences.push(
            ...compareTensor(
              `forwardBackward(${reduction}, out.gradInput only)`,
              'output',
              fg.output,
              plain.output,
              tolerance,
              1,
              1,
              'without out',
            ),
          );
        }
      }
    } catch (error) {
      differences.push({
        call: 'out',
        tensor: 'error',
        message: `a call with out arrays threw ${describeError(error)}`,
      });
    }
    // Arrays that cannot hold the result.
    const n = input.shape[0]!;
    const shared = new Float(n + input.data.length);
    const bad: [string, LossOptions['out']][] = [
      ['out.output of the other dtype', { output: new Other(n) }],
      ['out.gradInput of the other dtype', { gradInput: new Other(input.data.length) }],
      ['out.output one element too long', { output: new Float(n + 1) }],
      ['out.gradInput one element short', { gradInput: new Float(input.data.length - 1) }],
      ['out.gradInput that is the input', { gradInput: input.data }],
      [
        'out.output inside the grad_output',
        {
          output: new Float(
            gradOutput.data.buffer as ArrayBuffer,
            gradOutput.data.byteOffset,
            n,
          ) as FloatArray,
        },
      ],
      [
        'out.output over the target',
        { output: new Float(target.data.buffer as ArrayBuffer, 0, n) as FloatArray },
      ],
      [
        'out arrays overlapping each other',
        { output: shared.subarray(0, n), gradInput: shared.subarray(n - 1, n - 1 + input.data.length) },
      ],
      [
        'out.output that is a plain array',
        { output: Array.from({ length: n }, () => 0) as unknown as FloatArray },
      ],
    ];
    const snapshot = input.data.slice();
    for (const [what, out] of bad) {
      const options = { reduction: 'none', out } as LossOptions;
      const found = [
        ...(await expectError(
          'forwardBackward',
          () => backend.forwardBackward(input, target, gradOutput, options),
          'INVALID_OPTIONS',
        )),
      ];
      // forward has no grad_output, so an out array over it is only wrong for the other calls.
      // forward has no grad_output, so an out array over it is wrong only for forwardBackward (above).
      if (what.includes('grad_output')) {
        // nothing more to call
      } else if (out?.gradInput === undefined) {
        found.push(
          ...(await expectError('forward', () => backend.forward(input, target, options), 'INVALID_OPTIONS')),
        );
      } else {
        found.push(
          ...(await expectError(
            'backward',
            () => backend.backward(input, target, gradOutput, options),
            'INVALID_OPTIONS',
          )),
        );
      }
      differences.push(...found.map((d) => ({ ...d, message: `${what}: ${d.message}` })));
      if (!input.data.every((v, i) => Object.is(v, snapshot[i]))) {
        differences.push({
          call: 'forwardBackward',
          tensor: 'input',
          message: `${what}: the input was written to`,
        });
        input.data.set(snapshot);
      }
    }
    results.push(verdict(base, differences));
  }
  return results;
}
