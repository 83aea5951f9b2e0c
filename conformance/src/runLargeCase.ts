import type { FloatArray, ILossBackend, Tensor, Tolerance } from '@mlml/core-spec';
import { describeError, expectError, sameBytes, supportedDtypes, verdict } from './caseHelpers.js';
import { fusedLossDifference } from './fusedLoss.js';
import type { LargeGoldenCase, LargeGradientExpectation } from './LargeGoldenFile.js';
import { describeRow, withRowContext } from './rowContext.js';
import type { CaseResult } from './runConformance.js';
import { makeSeededGradOutput, makeSeededProblem, type SeededProblem } from './seededProblem.js';
import { compareTensor, type Difference, effectiveTolerance, pytorchTolerance } from './tolerance.js';

/** The weights of the per-row count checksum: count[n, c] * (c % 65521 + 1). */
const CHECKSUM_MODULUS = 65521;

/**
 * Runs one large golden case (a seeded problem past every backend's splitting points) on a
 * backend: `forward`, `backward` and `forwardBackward` with the case's reduction and grad_output.
 * Outputs are compared whole, two-sided (exact values within the declared tolerance, PyTorch's
 * within it plus PyTorch's drift); the fused loss must be forward's bit for bit; the gradient is
 * checked through its counts (see {@link LargeGradientExpectation}) and sampled entries.
 */
export async function runLargeCase(
  backend: ILossBackend,
  largeCase: LargeGoldenCase,
  source = 'large golden file',
  problem: SeededProblem = makeSeededProblem(largeCase.recipe, largeCase.dtype),
): Promise<CaseResult> {
  const { id, dtype, reduction } = largeCase;
  const base = { id, group: 'large', source, dtype };
  const differences: Difference[] = [];
  const input = { data: problem.input.data.slice(), shape: [...problem.input.shape] };
  const target = { data: problem.target.data.slice(), shape: [...problem.target.shape] };
  const gradOutput = makeSeededGradOutput(largeCase.recipe, dtype, reduction);
  const options = { reduction } as const;
  const rows = { input: problem.input, target: problem.target, options };
  if (!supportedDtypes(backend).includes(dtype)) {
    differences.push(
      ...(await expectError('forward', () => backend.forward(input, target, options), 'UNSUPPORTED_DTYPE')),
    );
    if (differences.length > 0) return verdict(base, differences);
    return { ...base, status: 'skipped', reason: `${backend.name} does not support ${dtype}`, differences };
  }
  const tolerance = effectiveTolerance(backend.capabilities, dtype);
  const againstPytorch = pytorchTolerance(tolerance, dtype);
  const attempt = async <T>(call: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      differences.push({ call, tensor: 'error', message: `${call} threw ${describeError(error)}` });
      return undefined;
    } finally {
      if (!sameBytes(input.data, problem.input.data) || !sameBytes(target.data, problem.target.data)) {
        differences.push({ call, tensor: 'input', message: `${call} mutated its input or target` });
        input.data.set(problem.input.data);
        target.data.set(problem.target.data);
      }
    }
  };
  const checkOutput = (call: string, actual: Tensor<FloatArray> | undefined) => {
    const found = compareTensor(call, 'output', actual, largeCase.exactOutput, tolerance, 1, 3, 'exact');
    if (found.length === 0) {
      found.push(...compareTensor(call, 'output', actual, largeCase.output, againstPytorch, 1, 3, 'PyTorch'));
    }
    differences.push(...found.map((d) => withRowContext(d, rows)));
  };
  const checkGradient = (call: string, actual: Tensor<FloatArray> | undefined) => {
    differences.push(
      ...checkLargeGradient(call, actual, largeCase, gradOutput, problem, tolerance, againstPytorch),
    );
  };

  const output = await attempt('forward', () => backend.forward(input, target, options));
  if (output !== undefined) checkOutput('forward', output);
  const gradInput = await attempt('backward', () => backend.backward(input, target, gradOutput, options));
  if (gradInput !== undefined) checkGradient('backward', gradInput);
  const both = await attempt('forwardBackward', () =>
    backend.forwardBackward(input, target, gradOutput, options),
  );
  if (both !== undefined) {
    checkOutput('forwardBackward', both?.output);
    checkGradient('forwardBackward', both?.gradInput);
    const fused = fusedLossDifference('forwardBackward', output, both?.output);
    if (fused !== undefined) differences.push(withRowContext(fused, rows));
  }
  return verdict(base, differences);
}

/**
 * The gradient of a large case against its counts: each entry must be a whole number k of its
 * row's unit `g * grad_output[n]` within the tolerance (of the row's largest entry), the counts'
 * checksums must equal PyTorch's exactly, and the sampled entries must match the exact and
 * PyTorch's values.
 */
export function checkLargeGradient(
  call: string,
  actual: Tensor<FloatArray> | undefined,
  largeCase: LargeGoldenCase,
  gradOutput: Tensor<FloatArray>,
  problem: SeededProblem,
  tolerance: Tolerance,
  againstPytorch: Tolerance,
): Difference[] {
  const expected: LargeGradientExpectation = largeCase.gradient;
  const [batch, classes] = expected.shape as [number, number];
  const shapeText = `[${expected.shape.join(', ')}]`;
  if (
    actual === null ||
    typeof actual !== 'object' ||
    actual.data === undefined ||
    !Array.isArray(actual.shape)
  ) {
    return [{ call, tensor: 'grad_input', message: `returned ${String(actual)} instead of a tensor` }];
  }
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return [
      { call, tensor: 'grad_input', message: `shape [${actual.shape.join(', ')}], expected ${shapeText}` },
    ];
  }
  const wanted = largeCase.dtype === 'float32' ? Float32Array : Float64Array;
  if (actual.data.constructor !== wanted || actual.data.length !== batch * classes) {
    return [
      { call, tensor: 'grad_input', message: `data is not a ${wanted.name} of ${batch * classes} values` },
    ];
  }
  const g = largeCase.reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
  const data = actual.data;
  const differences: Difference[] = [];
  const rows = { input: problem.input, target: problem.target };
  let squared = 0;
  let nonzero = 0;
  const rowMax = new Float64Array(batch);
  for (let n = 0; n < batch && differences.length < 3; n++) {
    const unit = g * gradOutput.data[largeCase.reduction === 'none' ? n : 0]!;
    const start = n * classes;
    let largest = 0;
    for (let c = 0; c < classes; c++)
      largest = Math.max(largest, Math.abs(Math.round(data[start + c]! / unit)));
    const scale = largest * Math.abs(unit);
    rowMax[n] = scale;
    const allowed = tolerance.atol + tolerance.rtol * scale;
    let weighted = 0;
    for (let c = 0; c < classes; c++) {
      const value = data[start + c]!;
      const k = Math.round(value / unit);
      if (!(Math.abs(value - k * unit) <= allowed)) {
        differences.push({
          call,
          tensor: 'grad_input',
          index: start + c,
          message: `grad_input[${start + c}] is ${value}: not a whole number of the row's unit ${unit} (g * grad_output) within ± ${allowed.toPrecision(3)}`,
          actual: value,
          tolerance: allowed,
          context: describeRow(rows, n, c),
        });
        break;
      }
      weighted += k * ((c % CHECKSUM_MODULUS) + 1);
      squared += k * k;
      if (k !== 0) nonzero++;
    }
    if (differences.length === 0 && weighted !== expected.rowWeighted[n]) {
      differences.push({
        call,
        tensor: 'grad_input',
        message: `row ${n} counts a different set of pairs than the golden file (PyTorch): checksum of its counts ${weighted}, expected ${expected.rowWeighted[n]}`,
        expected: expected.rowWeighted[n]!,
        actual: weighted,
        context: describeRow(rows, n),
      });
    }
  }
  if (differences.length === 0 && (squared !== expected.squared || nonzero !== expected.nonzero)) {
    differences.push({
      call,
      tensor: 'grad_input',
      message: `counts: sum of squares ${squared} and ${nonzero} nonzero, expected ${expected.squared} and ${expected.nonzero} (the golden file's, PyTorch's)`,
    });
  }
  expected.sampleIndex.forEach((index, i) => {
    if (differences.length >= 3) return;
    const n = Math.floor(index / classes);
    const value = data[index]!;
    for (const [reference, e, tol] of [
      ['exact', expected.sampleExact[i]!, tolerance],
      ['PyTorch', expected.samplePytorch[i]!, againstPytorch],
    ] as const) {
      const allowed = tol.atol + tol.rtol * Math.max(Math.abs(e), rowMax[n]!);
      if (!(Math.abs(value - e) <= allowed)) {
        differences.push({
          call,
          tensor: 'grad_input',
          index,
          message: `grad_input[${index}] is ${value}, ${reference} value ${e} ± ${allowed.toPrecision(3)}`,
          expected: e,
          actual: value,
          tolerance: allowed,
          reference,
          context: describeRow(rows, n, index % classes),
        });
        break;
      }
    }
  });
  return differences;
}
