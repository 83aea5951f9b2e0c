import {
  type Dtype,
  type FloatArray,
  type ILossBackend,
  isLossError,
  type Tensor,
  type Tolerance,
} from '@mlml/core-spec';
import { loadBuiltinFixtures, loadBuiltinLargeFixtures } from './builtinFixtures.js';
import {
  copyTensor,
  describeError,
  expectError,
  sameBytes,
  supportedDtypes,
  tinyProblem,
  verdict,
} from './caseHelpers.js';
import { checkDisposal } from './checkDisposal.js';
import {
  checkGpuLocation,
  declaresGpuResidency,
  type GpuTensorMaker,
  gpuTensorMakerFor,
} from './checkGpuLocation.js';
import { checkOptionTypes } from './checkOptionTypes.js';
import { checkOutArrays } from './checkOutArrays.js';
import { fusedLossDifference } from './fusedLoss.js';
import { caseGroup, type GoldenCase, type GoldenFile, toLossOptions } from './GoldenFile.js';
import type { LargeGoldenFile } from './LargeGoldenFile.js';
import { withRowContext } from './rowContext.js';
import { runLargeCase } from './runLargeCase.js';
import { seededUniform } from './seededWords.js';
import { stateProblem } from './stateProblem.js';

export { checkDisposal } from './checkDisposal.js';

import {
  compareTensor,
  type Difference,
  effectiveTolerance,
  pytorchTolerance,
  TOLERANCE_LIMITS,
} from './tolerance.js';

export { describeError } from './caseHelpers.js';

/** The verdict on one case. */
export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** One case's result in a {@link ConformanceReport}. */
export interface CaseResult {
  /** The case id (`state/...` for the suite's own checks of the backend's state). */
  readonly id: string;
  /** The first segment of the id. */
  readonly group: string;
  /** The golden file it came from (`suite` for the state checks). */
  readonly source: string;
  /** The case's dtype, when it has one. */
  readonly dtype?: Dtype;
  /** Passed, failed, or skipped (only for a dtype the backend declares it lacks). */
  readonly status: CaseStatus;
  /** Why it was skipped, or a one-line summary of why it failed. */
  readonly reason?: string;
  /** What differed (empty unless failed). */
  readonly differences: readonly Difference[];
}

/** What {@link runConformance} found. */
export interface ConformanceReport {
  /** The backend's name. */
  readonly backend: string;
  /** Cases that passed. */
  readonly passed: number;
  /** Cases that failed. */
  readonly failed: number;
  /** Cases skipped because the backend declares it lacks their dtype (it was checked to reject them). */
  readonly skipped: number;
  /** Every case, in order. */
  readonly cases: readonly CaseResult[];
  /** The tolerance each supported dtype was checked at. */
  readonly tolerance: Readonly<Partial<Record<Dtype, Tolerance>>>;
  /** Remarks on the run, e.g. a declared tolerance looser than the suite's limit. */
  readonly notes: readonly string[];
}

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The golden files to run (parsed with `parseGoldenFile`). Default: the built-in fixtures. */
  readonly fixtures?: readonly GoldenFile[];
  /**
   * The large golden files to run (parsed with `parseLargeGoldenFile`). Default: the built-in ones
   * when `fixtures` is not given, none when it is (pass them explicitly to run both).
   */
  readonly largeFixtures?: readonly LargeGoldenFile[];
  /** Runs only the cases for which this returns true. */
  readonly filter?: (goldenCase: GoldenCase) => boolean;
  /**
   * Also dispose the backend at the end, with calls in flight (they must complete with their
   * results), and check that a later call fails with `BACKEND_DISPOSED` (see `checkDisposal`).
   * Only for a backend the caller will not use again. @default false
   */
  readonly checkDispose?: boolean;
  /** For a backend that declares GPU residency: uploads arrays as GpuTensors on its device (see checkGpuLocation). */
  readonly makeGpuTensor?: GpuTensorMaker;
  /**
   * The backend accepts GPU-resident tensors (its test says so: `ILossBackend` has no capability
   * for it; `capabilities.gpuResident: true` counts too). @default false
   */
  readonly gpuResident?: boolean;
  /** Called after each case, e.g. for progress. */
  readonly onCase?: (result: CaseResult) => void;
  /** A call that has not settled after this many milliseconds fails its case (0: wait forever). @default 60000 */
  readonly callTimeoutMs?: number;
}

/**
 * The backend with every call raced against a timer: a call that does not settle in `ms`
 * milliseconds rejects with a plain Error (so a hung backend fails its case instead of hanging the
 * suite). `ms <= 0` returns the backend itself.
 */
export function withCallTimeout(backend: ILossBackend, ms: number): ILossBackend {
  if (!(ms > 0)) return backend;
  const race = <T>(call: string, run: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${call} did not settle within ${ms} ms`)), ms);
      // Called now, not a tick later: the backend must see the caller's arrays as they are at the call.
      let started: Promise<T>;
      try {
        started = Promise.resolve(run());
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  return {
    name: backend.name,
    capabilities: backend.capabilities,
    forward: (input, target, options) => race('forward', () => backend.forward(input, target, options)),
    backward: (input, target, gradOutput, options) =>
      race('backward', () => backend.backward(input, target, gradOutput, options)),
    forwardBackward: (input, target, gradOutput, options) =>
      race('forwardBackward', () => backend.forwardBackward(input, target, gradOutput, options)),
    dispose: () => race('dispose', () => backend.dispose()),
  };
}

/**
 * Runs the conformance suite on a backend: every golden case through `forward`, `backward` and
 * `forwardBackward` (each checked against the expected values, within the backend's declared
 * tolerance capped by `TOLERANCE_LIMITS`), error cases checked for a `LossError` with the
 * expected code, inputs checked unmutated, and the backend's state rules (unsupported dtypes
 * rejected with `UNSUPPORTED_DTYPE`; inputs read when a call is made; optionally
 * `BACKEND_DISPOSED` after dispose).
 */
export async function runConformance(
  backend: ILossBackend,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const timed = withCallTimeout(backend, options.callTimeoutMs ?? 60_000);
  const fixtures = options.fixtures ?? (await loadBuiltinFixtures());
  const largeFixtures =
    options.largeFixtures ?? (options.fixtures === undefined ? await loadBuiltinLargeFixtures() : []);
  const cases: CaseResult[] = [];
  const record = (result: CaseResult) => {
    cases.push(result);
    options.onCase?.(result);
  };
  record(await checkCapabilities(timed));
  for (const result of await checkUnsupportedDtypes(timed)) record(result);
  for (const result of await checkReadsAtCallTime(timed)) record(result);
  for (const result of await checkFirstOutOfRange(timed)) record(result);
  for (const result of await checkOutArrays(timed)) record(result);
  record(await checkOptionTypes(timed));
  // `timed` hides the backend's own members (a WebGPU `device`): residency is read on the backend.
  record(
    await checkGpuLocation(
      timed,
      options.makeGpuTensor ?? gpuTensorMakerFor(backend),
      options.gpuResident === true || declaresGpuResidency(backend),
    ),
  );
  for (const file of fixtures) {
    for (const goldenCase of file.cases) {
      if (options.filter !== undefined && !options.filter(goldenCase)) continue;
      record(await runGoldenCase(timed, goldenCase, file.source));
    }
  }
  for (const file of largeFixtures) {
    for (const largeCase of file.cases) record(await runLargeCase(timed, largeCase, file.source));
  }
  if (options.checkDispose === true) record(await checkDisposal(timed));
  return summarize(backend, cases);
}

/** Builds a report from case results (counts, tolerances, notes). */
export function summarize(backend: ILossBackend, cases: readonly CaseResult[]): ConformanceReport {
  const tolerance: Partial<Record<Dtype, Tolerance>> = {};
  const notes: string[] = [];
  for (const dtype of supportedDtypes(backend)) {
    tolerance[dtype] = effectiveTolerance(backend.capabilities, dtype);
    const declared = backend.capabilities.tolerance?.[dtype];
    const limit = TOLERANCE_LIMITS[dtype];
    const looser = (['rtol', 'atol'] as const).filter(
      (k) => declared !== undefined && !(declared[k] <= limit[k]),
    );
    if (looser.length > 0) {
      const parts = looser.map((k) => `${k}=${declared?.[k]} (limit ${limit[k]})`).join(', ');
      notes.push(
        `${backend.name} declares a ${dtype} tolerance looser than the suite's limit: ${parts}; checked at the limit`,
      );
    }
  }
  const count = (status: CaseStatus) => cases.filter((c) => c.status === status).length;
  return {
    backend: backend.name,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    cases,
    tolerance,
    notes,
  };
}

/** Runs one golden case on a backend. */
export async function runGoldenCase(
  backend: ILossBackend,
  goldenCase: GoldenCase,
  source = 'golden file',
): Promise<CaseResult> {
  const { id, dtype, expected } = goldenCase;
  const base = { id, group: caseGroup(id), source, dtype };
  const differences: Difference[] = [];
  // The backend gets copies, so a backend that mutates its inputs cannot spoil later cases.
  const input = copyTensor(goldenCase.input);
  const target = copyTensor(goldenCase.target);
  const gradOutput = goldenCase.gradOutput === undefined ? undefined : copyTensor(goldenCase.gradOutput);
  const options = toLossOptions(goldenCase.options);
  const calls: { name: string; run: () => Promise<unknown> }[] = [];
  const checkUnchanged = (call: string) => {
    for (const [name, original, given] of [
      ['input', goldenCase.input, input],
      ['target', goldenCase.target, target],
      ['grad_output', goldenCase.gradOutput, gradOutput],
    ] as const) {
      if (original !== undefined && given !== undefined && !sameBytes(original.data, given.data)) {
        differences.push({ call, tensor: name, message: `${call} mutated its ${name}` });
        given.data.set(original.data as never);
      }
    }
  };

  const supported = supportedDtypes(backend).includes(dtype);
  if (expected.kind === 'error') {
    if (gradOutput !== undefined) {
      calls.push({ name: 'backward', run: () => backend.backward(input, target, gradOutput, options) });
      calls.push({
        name: 'forwardBackward',
        run: () => backend.forwardBackward(input, target, gradOutput, options),
      });
    } else {
      calls.push({ name: 'forward', run: () => backend.forward(input, target, options) });
      calls.push({
        name: 'forwardBackward',
        run: () => backend.forwardBackward(input, target, undefined, options),
      });
    }
    for (const call of calls) {
      differences.push(...(await expectError(call.name, call.run, expected.code)));
      checkUnchanged(call.name);
    }
    return verdict(base, differences);
  }

  if (!supported) {
    differences.push(
      ...(await expectError('forward', () => backend.forward(input, target, options), 'UNSUPPORTED_DTYPE')),
    );
    checkUnchanged('forward');
    if (differences.length > 0) return verdict(base, differences);
    return { ...base, status: 'skipped', reason: `${backend.name} does not support ${dtype}`, differences };
  }

  const tolerance = effectiveTolerance(backend.capabilities, dtype);
  const againstPytorch = pytorchTolerance(tolerance, dtype);
  const classes = goldenCase.input.shape.length === 0 ? 1 : goldenCase.input.shape.at(-1)!;
  const attempt = async <T>(call: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      differences.push({ call, tensor: 'error', message: `${call} threw ${describeError(error)}` });
      return undefined;
    } finally {
      checkUnchanged(call);
    }
  };
  // Two-sided: within the declared tolerance of the exact value, and within it plus PyTorch's drift
  // of PyTorch's value (a file without exact values gives only the second).
  const compare = (call: string, tensor: 'output' | 'grad_input', actual: unknown) => {
    const sampleSize = tensor === 'output' ? 1 : classes;
    const pytorch = tensor === 'output' ? expected.output : expected.gradInput;
    const exact = tensor === 'output' ? expected.exact?.output : expected.exact?.gradInput;
    const found =
      exact === undefined
        ? []
        : compareTensor(call, tensor, actual as Tensor<FloatArray>, exact, tolerance, sampleSize, 3, 'exact');
    if (found.length === 0 && pytorch !== undefined) {
      const label = exact === undefined ? 'expected' : 'PyTorch';
      found.push(
        ...compareTensor(
          call,
          tensor,
          actual as Tensor<FloatArray>,
          pytorch,
          againstPytorch,
          sampleSize,
          3,
          label,
        ),
      );
    }
    differences.push(...found.map((d) => withRowContext(d, goldenCase)));
  };

  const output = await attempt('forward', () => backend.forward(input, target, options));
  if (output !== undefined) compare('forward', 'output', output);
  const sameLoss = (call: string, fused: Tensor<FloatArray> | undefined) => {
    const difference = fusedLossDifference(call, output, fused);
    if (difference !== undefined) differences.push(withRowContext(difference, goldenCase));
  };
  if (gradOutput !== undefined && expected.gradInput !== undefined) {
    const gradInput = await attempt('backward', () => backend.backward(input, target, gradOutput, options));
    if (gradInput !== undefined) compare('backward', 'grad_input', gradInput);
    const both = await attempt('forwardBackward', () =>
      backend.forwardBackward(input, target, gradOutput, options),
    );
    if (both !== undefined) {
      compare('forwardBackward', 'output', both?.output);
      compare('forwardBackward', 'grad_input', both?.gradInput);
      sameLoss('forwardBackward', both?.output);
    }
  }
  // Without grad_output (or with ones), forwardBackward's default grad_output (ones) is checked too.
  if (gradOutput === undefined || gradOutput.data.every((v) => v === 1)) {
    const call = 'forwardBackward(default grad_output)';
    const both = await attempt(call, () => backend.forwardBackward(input, target, undefined, options));
    if (both !== undefined) {
      compare(call, 'output', both?.output);
      sameLoss(call, both?.output);
      if (expected.gradInput !== undefined) compare(call, 'grad_input', both?.gradInput);
      else if (both?.gradInput?.shape?.join(',') !== goldenCase.input.shape.join(',')) {
        differences.push({
          call,
          tensor: 'grad_input',
          message: `gradient shape [${both?.gradInput?.shape?.join(', ')}], expected the input's [${goldenCase.input.shape.join(', ')}]`,
        });
      }
    }
  }
  return verdict(base, differences);
}

/**
 * The backend's declared capabilities are well-formed: a non-empty list of known dtypes, and a
 * tolerance (two non-negative numbers) for each.
 */
export async function checkCapabilities(backend: ILossBackend): Promise<CaseResult> {
  const base = { id: 'state/capabilities', group: 'state', source: 'suite' };
  const differences: Difference[] = [];
  const problem = (message: string) => differences.push({ call: 'capabilities', tensor: 'result', message });
  const capabilities = backend.capabilities;
  if (typeof backend.name !== 'string' || backend.name === '') problem('name is not a non-empty string');
  const dtypes = capabilities?.dtypes;
  if (!Array.isArray(dtypes) || dtypes.length === 0) {
    problem(`capabilities.dtypes must be a non-empty array, got ${JSON.stringify(dtypes)}`);
  } else {
    for (const dtype of dtypes) {
      if (dtype !== 'float32' && dtype !== 'float64')
        problem(`unknown dtype ${JSON.stringify(dtype)} in capabilities.dtypes`);
      const declared = capabilities.tolerance?.[dtype as Dtype];
      if (
        declared === undefined ||
        !(typeof declared.rtol === 'number' && declared.rtol >= 0) ||
        !(typeof declared.atol === 'number' && declared.atol >= 0)
      ) {
        problem(`capabilities.tolerance.${dtype} must be { rtol, atol } (non-negative numbers)`);
      }
    }
  }
  return verdict(base, differences);
}

/** For each dtype the backend declares it lacks: a call must fail with `UNSUPPORTED_DTYPE`. */
export async function checkUnsupportedDtypes(backend: ILossBackend): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    if (supportedDtypes(backend).includes(dtype)) continue;
    const base = { id: `state/unsupported-${dtype}`, group: 'state', source: 'suite', dtype };
    const { input, target } = tinyProblem(dtype);
    const differences = [
      ...(await expectError('forward', () => backend.forward(input, target), 'UNSUPPORTED_DTYPE')),
      ...(await expectError(
        'forwardBackward',
        () => backend.forwardBackward(input, target),
        'UNSUPPORTED_DTYPE',
      )),
    ];
    results.push(verdict(base, differences));
  }
  return results;
}

/**
 * Checks that the backend reads its inputs when a call is made, as a synchronous function would:
 * three calls are started on the same arrays without waiting (the second and third while the
 * first is still running), the arrays are then overwritten, and each result must still be the
 * one for the original values (the backend's own result on untouched copies, within its
 * tolerance). A caller that refills its batch buffers right after a call relies on this. The
 * problem ({@link stateProblem}, 512 x 512) is past the size where backends share work between threads.
 */
export async function checkReadsAtCallTime(backend: ILossBackend): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dtype of supportedDtypes(backend)) {
    const base = { id: `state/reads-at-call-${dtype}`, group: 'state', source: 'suite', dtype };
    const differences: Difference[] = [];
    const { input, target, gradOutput } = stateProblem(dtype);
    const copy = <A extends FloatArray | Int32Array>(t: Tensor<A>) => ({
      data: t.data.slice() as A,
      shape: t.shape,
    });
    const options = { reduction: 'none' } as const;
    try {
      const cleanOutput = await backend.forward(copy(input), copy(target), options);
      const cleanGrad = await backend.backward(copy(input), copy(target), copy(gradOutput), options);
      const first = backend.forward(input, target, options);
      const second = backend.forward(input, target, options);
      const third = backend.backward(input, target, gradOutput, options);
      input.data.fill(0);
      target.data.fill(-1);
      gradOutput.data.fill(0);
      const tolerance = effectiveTolerance(backend.capabilities, dtype);
      const classes = input.shape[1]!;
      differences.push(
        ...compareTensor('forward', 'output', await first, cleanOutput, tolerance, 1),
        ...compareTensor('forward', 'output', await second, cleanOutput, tolerance, 1),
        ...compareTensor('backward', 'grad_input', await third, cleanGrad, tolerance, classes),
      );
    } catch (error) {
      differences.push({ call: 'forward', tensor: 'error', message: `threw ${describeError(error)}` });
    }
    const prefix = "with the caller's arrays overwritten after the call: ";
    results.push(
      verdict(
        base,
        differences.map((d) => ({ ...d, message: prefix + d.message })),
      ),
    );
  }
  return results;
}

/**
 * Checks that an out-of-range target is reported at its first occurrence, however the backend
 * splits the work (chunks, threads, workgroups): targets of the 512 x 512 problem below get two
 * to four bad values at seeded places (before and after a row's -1, below -1 and at C or above),
 * and forward, backward and forwardBackward must each reject with `TARGET_OUT_OF_RANGE`, a
 * message with DESIGN's wording, and the index of the first bad element as core-spec's
 * `targetOutOfRangeError` gives it (`at index K`).
 */
export async function checkFirstOutOfRange(backend: ILossBackend): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dtype of supportedDtypes(backend)) {
    const base = { id: `state/first-out-of-range-${dtype}`, group: 'state', source: 'suite', dtype };
    const differences: Difference[] = [];
    const { input, target, gradOutput } = stateProblem(dtype);
    const classes = input.shape[1]!;
    const next = seededUniform(13579);
    for (let trial = 0; trial < 4; trial++) {
      const t = target.data.slice();
      let first = t.length;
      for (let k = 0; k < 2 + trial; k++) {
        const at = Math.floor(next() * t.length);
        t[at] = next() < 0.5 ? -2 - k : classes + k;
        first = Math.min(first, at);
      }
      const bad = { data: t, shape: target.shape };
      const options = { reduction: 'none' } as const;
      const calls = [
        ['forward', () => backend.forward(input, bad, options)],
        ['backward', () => backend.backward(input, bad, gradOutput, options)],
        ['forwardBackward', () => backend.forwardBackward(input, bad, gradOutput, options)],
      ] as const;
      for (const [call, run] of calls) {
        const expected = `TARGET_OUT_OF_RANGE naming index ${first} (value ${t[first]})`;
        try {
          await run();
          differences.push({
            call,
            tensor: 'error',
            message: `succeeded, expected ${expected}`,
            expected,
            actual: 'no error',
          });
        } catch (error) {
          const message = isLossError(error) ? error.message : '';
          const ok =
            isLossError(error, 'TARGET_OUT_OF_RANGE') &&
            message.includes("argument #2 'target' is out of range") &&
            message.includes(`at index ${first},`);
          if (!ok) {
            const actual = describeError(error);
            differences.push({
              call,
              tensor: 'error',
              message: `threw ${actual}, expected ${expected}`,
              expected,
              actual,
            });
          }
        }
      }
    }
    results.push(verdict(base, differences));
  }
  return results;
}
