import {
  createReferenceBackend,
  type Dtype,
  type FloatArray,
  type ILossBackend,
  isLossError,
  type LossOptions,
  type Tensor,
} from '@mlml/core-spec';
import fc from 'fast-check';
import { describeError } from './runConformance.js';
import { compareTensor, type Difference, effectiveTolerance } from './tolerance.js';

/** A random call, in plain arrays (so fast-check prints counterexamples readably). */
export interface RandomCall {
  /** The input's precision. */
  readonly dtype: Dtype;
  /** `[]`, `[C]` or `[N, C]`. */
  readonly shape: readonly number[];
  /** Input values (already representable in `dtype`). */
  readonly input: readonly number[];
  /** Target values (sometimes out of range on purpose). */
  readonly target: readonly number[];
  /** Loss options, legacy ones included. */
  readonly options: LossOptions;
  /** grad_output values, one per output element (of the resolved reduction's output shape). */
  readonly gradOutput: readonly number[];
}

/** Options of {@link assertAgreesWithReference}. */
export interface AgreementOptions {
  /** How many random calls. @default 300 */
  readonly numRuns?: number;
  /** fast-check seed, for reproducible runs. @default 20261129 */
  readonly seed?: number;
  /** Largest class count generated. @default 24 */
  readonly maxClasses?: number;
  /** Largest batch generated. @default 6 */
  readonly maxBatch?: number;
}

const F32_TINY = [1e-30, -1e-30, 1e-40, -1e-40, 1.401298464324817e-45];
const F64_TINY = [1e-300, -1e-300, 5e-324, -5e-324];

function valueArbitrary(dtype: Dtype): fc.Arbitrary<number> {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) },
      { weight: 3, arbitrary: fc.integer({ min: -2, max: 2 }) },
      // small values make fl(1 - x) inexact, which the boundary placement below needs
      { weight: 2, arbitrary: fc.double({ min: -0.01, max: 0.01, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(0.5, -0.5, 1, 1.5, 0.25, -1e-7, 1e-7) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
      },
      { weight: 1, arbitrary: fc.constantFrom(1e30, -1e30, 3e10, -3e10) },
      { weight: 1, arbitrary: fc.constantFrom(...(dtype === 'float32' ? F32_TINY : F64_TINY)) },
    )
    .map(round);
}

function legacyArbitrary(): fc.Arbitrary<boolean | null | undefined> {
  return fc.constantFrom<boolean | null | undefined>(undefined, undefined, undefined, null, true, false);
}

function resolvedReduction(options: LossOptions): string {
  if ((options.size_average ?? null) !== null || (options.reduce ?? null) !== null) {
    if (options.reduce === false) return 'none';
    return options.size_average === false ? 'sum' : 'mean';
  }
  return options.reduction ?? 'mean';
}

/**
 * Random calls covering DESIGN §2: ranks 0-2, empty batches, targets with duplicates, -1 anywhere
 * and values after it, ties, NaN, ±inf, huge and tiny (subnormal) values, non-targets placed on
 * the float32/float64 margin boundary `-fl(1 - x[y])` and one ulp either side, every reduction and
 * legacy option combination, grad_output of any sign, and now and then an out-of-range target.
 */
export function randomCallArbitrary(
  dtypes: readonly Dtype[],
  maxBatch = 6,
  maxClasses = 24,
): fc.Arbitrary<RandomCall> {
  const dims = fc.record({
    dtype: fc.constantFrom(...dtypes),
    rank: fc.constantFrom(0, 1, 2, 2, 2, 2),
    batch: fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 9, arbitrary: fc.integer({ min: 1, max: maxBatch }) },
    ),
    classes: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: maxClasses }) },
    ),
  });
  return dims.chain(({ dtype, rank, batch, classes }) => {
    const c = rank === 0 ? 1 : classes;
    const n = rank === 2 ? batch : 1;
    const shape = rank === 0 ? [] : rank === 1 ? [c] : [n, c];
    const size = n * c;
    const targetElement = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: c - 1 }) },
      { weight: 2, arbitrary: fc.constant(-1) },
    );
    const options = fc
      .record({
        reduction: fc.constantFrom<LossOptions['reduction'] | undefined>(undefined, 'none', 'mean', 'sum'),
        size_average: legacyArbitrary(),
        reduce: legacyArbitrary(),
      })
      .map((o) => {
        const out: LossOptions = {};
        if (o.reduction !== undefined) out.reduction = o.reduction;
        if (o.size_average !== undefined) out.size_average = o.size_average;
        if (o.reduce !== undefined) out.reduce = o.reduce;
        return out;
      });
    const gradValue = fc.oneof(
      fc.constantFrom(1, -2.5, 0, 0.5, 3),
      fc.double({ min: -4, max: 4, noNaN: true }).map(dtype === 'float32' ? Math.fround : (v: number) => v),
    );
    return fc
      .record({
        input: fc.array(valueArbitrary(dtype), { minLength: size, maxLength: size }),
        target: fc.array(targetElement, { minLength: size, maxLength: size }),
        options,
        gradValues: fc.array(gradValue, { minLength: Math.max(n, 1), maxLength: Math.max(n, 1) }),
        borderline: fc.array(
          fc.record({ row: fc.nat(), column: fc.nat(), ulps: fc.constantFrom(-1, 0, 0, 1) }),
          { maxLength: 6 },
        ),
        // one call in 12 has an out-of-range target: both must refuse it with the same code
        outOfRange: fc.oneof(
          { weight: 11, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.record({ at: fc.nat(), value: fc.constantFrom(c, c + 3, -2) }) },
        ),
      })
      .map(({ input, target, options: opts, gradValues, borderline, outOfRange }) => {
        const x = [...input];
        const t = [...target];
        placeOnBoundary(dtype, x, t, n, c, borderline);
        if (outOfRange !== null && size > 0) t[outOfRange.at % size] = outOfRange.value;
        const none = resolvedReduction(opts) === 'none';
        const gradOutput = none && rank === 2 ? gradValues.slice(0, n) : gradValues.slice(0, 1);
        return { dtype, shape, input: x, target: t, options: opts, gradOutput };
      });
  });
}

/** Sets some non-targets to `-fl(1 - x[y0]) ± ulps`, the margin test's boundary for the row's first target. */
function placeOnBoundary(
  dtype: Dtype,
  x: number[],
  t: number[],
  batch: number,
  classes: number,
  picks: readonly { row: number; column: number; ulps: number }[],
): void {
  if (batch === 0) return;
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  for (const { row, column, ulps } of picks) {
    const n = row % batch;
    const y = t[n * classes];
    const d = column % classes;
    if (y === undefined || y < 0 || y >= classes) continue;
    const targets = new Set<number>();
    for (let j = 0; j < classes && t[n * classes + j]! >= 0; j++) targets.add(t[n * classes + j]!);
    if (targets.has(d)) continue;
    const xy = x[n * classes + y]!;
    if (!Number.isFinite(xy)) continue;
    x[n * classes + d] = nextAfter(dtype, round(-round(1 - xy)), ulps);
  }
}

function nextAfter(dtype: Dtype, value: number, ulps: number): number {
  if (ulps === 0 || !Number.isFinite(value)) return value;
  const bits = dtype === 'float32' ? new Float32Array([value]) : new Float64Array([value]);
  if (dtype === 'float32') {
    const view = new Int32Array(bits.buffer);
    if (value === 0) return ulps > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
    view[0]! += (value > 0 ? 1 : -1) * ulps;
  } else {
    const view = new BigInt64Array(bits.buffer);
    if (value === 0) return ulps > 0 ? 5e-324 : -5e-324;
    view[0]! += BigInt((value > 0 ? 1 : -1) * ulps);
  }
  return bits[0]!;
}

function tensorsOf(call: RandomCall) {
  const floats = (values: readonly number[]): FloatArray =>
    call.dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  const batch = call.shape.length === 2 ? call.shape[0]! : 1;
  const none = resolvedReduction(call.options) === 'none' && call.shape.length === 2;
  return {
    input: { data: floats(call.input), shape: [...call.shape] } as Tensor<FloatArray>,
    target: { data: Int32Array.from(call.target), shape: [...call.shape] } as Tensor<Int32Array>,
    gradOutput: {
      data: floats(none ? call.gradOutput.slice(0, batch) : call.gradOutput.slice(0, 1)),
      shape: none ? [batch] : [],
    } as Tensor<FloatArray>,
  };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function outcome<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The differences between a backend and the reference on one call (forward, backward,
 * forwardBackward); empty when they agree. Errors must agree by code.
 */
export async function compareWithReference(
  backend: ILossBackend,
  reference: ILossBackend,
  call: RandomCall,
): Promise<Difference[]> {
  const differences: Difference[] = [];
  const tolerance = effectiveTolerance(backend.capabilities, call.dtype);
  const classes = call.shape.length === 0 ? 1 : call.shape.at(-1)!;
  const runs: {
    name: string;
    run: (b: ILossBackend) => Promise<{ output?: Tensor<FloatArray>; grad?: Tensor<FloatArray> }>;
  }[] = [
    {
      name: 'forward',
      run: async (b) => {
        const t = tensorsOf(call);
        return { output: await b.forward(t.input, t.target, call.options) };
      },
    },
    {
      name: 'backward',
      run: async (b) => {
        const t = tensorsOf(call);
        return { grad: await b.backward(t.input, t.target, t.gradOutput, call.options) };
      },
    },
    {
      name: 'forwardBackward',
      run: async (b) => {
        const t = tensorsOf(call);
        const r = await b.forwardBackward(t.input, t.target, t.gradOutput, call.options);
        return { output: r.output, grad: r.gradInput };
      },
    },
  ];
  for (const { name, run } of runs) {
    const expected = await outcome(() => run(reference));
    const actual = await outcome(() => run(backend));
    if (!expected.ok) {
      const code = isLossError(expected.error) ? expected.error.code : describeError(expected.error);
      if (
        actual.ok ||
        !isLossError(actual.error, isLossError(expected.error) ? expected.error.code : undefined)
      ) {
        differences.push({
          call: name,
          tensor: 'error',
          message: `the reference throws ${code}, the backend ${actual.ok ? 'succeeds' : describeError(actual.error)}`,
        });
      }
      continue;
    }
    if (!actual.ok) {
      differences.push({ call: name, tensor: 'error', message: `threw ${describeError(actual.error)}` });
      continue;
    }
    if (expected.value.output !== undefined) {
      differences.push(
        ...compareTensor(name, 'output', actual.value.output, expected.value.output, tolerance, 1),
      );
    }
    if (expected.value.grad !== undefined) {
      differences.push(
        ...compareTensor(name, 'grad_input', actual.value.grad, expected.value.grad, tolerance, classes),
      );
    }
  }
  return differences;
}

/**
 * Property test: the backend agrees with the core-spec reference on `numRuns` random calls
 * ({@link randomCallArbitrary}, restricted to the backend's dtypes), seeded and reproducible.
 * @throws fast-check's error with the shrunk counterexample and what differed.
 */
export async function assertAgreesWithReference(
  backend: ILossBackend,
  options: AgreementOptions = {},
): Promise<void> {
  const reference = createReferenceBackend();
  const dtypes = backend.capabilities.dtypes;
  if (dtypes.length === 0) throw new Error(`${backend.name} declares no dtype`);
  await fc.assert(
    fc.asyncProperty(
      randomCallArbitrary(dtypes, options.maxBatch ?? 6, options.maxClasses ?? 24),
      async (call) => {
        const differences = await compareWithReference(backend, reference, call);
        if (differences.length > 0) {
          throw new Error(
            `${backend.name} disagrees with the reference:\n${differences
              .slice(0, 5)
              .map((d) => `  - ${d.call} ${d.tensor}: ${d.message}`)
              .join('\n')}`,
          );
        }
      },
    ),
    { numRuns: options.numRuns ?? 300, seed: options.seed ?? 20261129, endOnFailure: false },
  );
}
