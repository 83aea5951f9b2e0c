import type { ILossBackend } from '@mlml/core-spec';
import { afterAll, describe, test } from 'vitest';
import { loadBuiltinFixtures, loadBuiltinLargeFixtures } from './builtinFixtures.js';
import { checkGpuLocation, type GpuTensorMaker } from './checkGpuLocation.js';
import { checkOptionTypes } from './checkOptionTypes.js';
import { checkOutArrays } from './checkOutArrays.js';
import { formatCaseResult } from './formatReport.js';
import type { GoldenCase, GoldenFile } from './GoldenFile.js';
import type { LargeGoldenFile } from './LargeGoldenFile.js';
import {
  type CaseResult,
  checkCapabilities,
  checkDisposal,
  checkFirstOutOfRange,
  checkReadsAtCallTime,
  checkUnsupportedDtypes,
  describeError,
  runGoldenCase,
} from './runConformance.js';
import { runLargeCase } from './runLargeCase.js';

/** Options of {@link describeConformance}. */
export interface DescribeConformanceOptions {
  /** The golden files (parsed). Default: the built-in fixtures. */
  readonly fixtures?: readonly GoldenFile[];
  /**
   * The large golden files (seeded problems past every backend's splitting points). Default: the
   * built-in ones when `fixtures` is not given, none when it is.
   */
  readonly largeFixtures?: readonly LargeGoldenFile[];
  /** For a backend that declares GPU residency: uploads arrays as GpuTensors on its device. */
  readonly makeGpuTensor?: GpuTensorMaker;
  /**
   * The backend accepts GPU-resident tensors (its test says so: `ILossBackend` has no capability
   * for it; `capabilities.gpuResident: true` counts too). @default false
   */
  readonly gpuResident?: boolean;
  /** Milliseconds each large case may take (it makes three calls on about 500,000 elements). @default 120000 */
  readonly largeTimeoutMs?: number;
  /** Only the cases for which this returns true. */
  readonly filter?: (goldenCase: GoldenCase) => boolean;
  /**
   * End with a test that disposes the backend with calls in flight (they must complete with their
   * results) and expects `BACKEND_DISPOSED` after. @default true
   */
  readonly checkDispose?: boolean;
}

/**
 * The conformance suite as vitest tests, one per golden case, for the backend `factory` makes
 * (once, lazily). A factory that rejects makes every test FAIL with its reason; a case whose dtype
 * the backend declares it lacks is reported as skipped once the backend was seen to reject it with
 * `UNSUPPORTED_DTYPE`. A contributor's whole test file:
 *
 * ```ts
 * import { describeConformance } from '@mlml/conformance/vitest';
 * describeConformance('my-backend', () => createMyBackend());
 * ```
 */
export function describeConformance(
  name: string,
  factory: () => ILossBackend | Promise<ILossBackend>,
  options: DescribeConformanceOptions = {},
): void {
  describe(`conformance: ${name}`, async () => {
    const fixtures = options.fixtures ?? (await loadBuiltinFixtures());
    const largeFixtures =
      options.largeFixtures ?? (options.fixtures === undefined ? await loadBuiltinLargeFixtures() : []);
    let created: Promise<ILossBackend> | undefined;
    const backend = (): Promise<ILossBackend> => {
      created ??= (async () => {
        try {
          return await factory();
        } catch (error) {
          throw new Error(`backend '${name}' did not initialise: ${describeError(error)}`, { cause: error });
        }
      })();
      return created;
    };
    const check = (result: CaseResult) => {
      if (result.status === 'failed') throw new Error(formatCaseResult(result));
    };

    afterAll(async () => {
      const made = await created?.catch(() => undefined);
      await made?.dispose();
    });

    test('initialises', async () => {
      await backend();
    });
    test('declares well-formed capabilities', async () => {
      check(await checkCapabilities(await backend()));
    });
    test('rejects the dtypes it lacks with UNSUPPORTED_DTYPE', async () => {
      for (const result of await checkUnsupportedDtypes(await backend())) check(result);
    });
    test('reads its inputs when a call is made (callers may refill them right after)', async () => {
      for (const result of await checkReadsAtCallTime(await backend())) check(result);
    });
    test('reports the first target out of range, however it splits the work', async () => {
      for (const result of await checkFirstOutOfRange(await backend())) check(result);
    });
    test("writes into the caller's out arrays and returns them; refuses ones that cannot hold the result", async () => {
      for (const result of await checkOutArrays(await backend())) check(result);
    });
    test('refuses options of the wrong type with INVALID_OPTIONS', async () => {
      check(await checkOptionTypes(await backend()));
    });
    test('refuses GPU-resident tensors with UNSUPPORTED_LOCATION, or computes them when GPU-resident', async (context) => {
      const result = await checkGpuLocation(await backend(), options.makeGpuTensor, options.gpuResident);
      check(result);
      if (result.status === 'skipped') context.skip(result.reason);
    });
    for (const file of fixtures) {
      describe(file.source, () => {
        for (const goldenCase of file.cases) {
          if (options.filter !== undefined && !options.filter(goldenCase)) continue;
          test(goldenCase.id, async (context) => {
            const result = await runGoldenCase(await backend(), goldenCase, file.source);
            check(result);
            if (result.status === 'skipped') context.skip(result.reason);
          });
        }
      });
    }
    for (const file of largeFixtures) {
      describe(file.source, () => {
        for (const largeCase of file.cases) {
          test(
            largeCase.id,
            async (context) => {
              const result = await runLargeCase(await backend(), largeCase, file.source);
              check(result);
              if (result.status === 'skipped') context.skip(result.reason);
            },
            options.largeTimeoutMs ?? 120_000,
          );
        }
      });
    }
    if (options.checkDispose !== false) {
      test('completes calls in flight at dispose() and rejects later calls with BACKEND_DISPOSED', async () => {
        check(await checkDisposal(await backend()));
      });
    }
  });
}
