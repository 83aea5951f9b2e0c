import fc from 'fast-check';
import {
  type CallMethod,
  type CallRecipe,
  CORRUPTIONS,
  type Corruption,
  type GroupRecipe,
  type LossTargetForm,
  type OutChoice,
  type ReductionChoice,
  type Storage,
  type ValueStyle,
} from './CallRecipe.js';

/** Elements from which the wasm backend shares a problem with its worker threads. */
export const THREADED_ELEMENTS = 196_608;

const storageArb = fc.constantFrom<Storage>(
  'own',
  'own',
  'own',
  'shared',
  'offset',
  'subarray',
  'sharedOffset',
);

/** N, C and the most targets per row: mostly tiny, some wide rows, a few near the threaded size. */
const sizeArb: fc.Arbitrary<{ batch: number; classes: number; maxTargets: number }> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      batch: fc.integer({ min: 0, max: 6 }),
      classes: fc.integer({ min: 1, max: 12 }),
      maxTargets: fc.integer({ min: 0, max: 12 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      batch: fc.integer({ min: 1, max: 4 }),
      classes: fc.integer({ min: 13, max: 300 }),
      maxTargets: fc.integer({ min: 0, max: 120 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ classes: fc.constantFrom(128, 1000, 1024), extraRows: fc.integer({ min: -1, max: 1 }) })
      .map(({ classes, extraRows }) => ({
        batch: Math.ceil(THREADED_ELEMENTS / classes) + extraRows,
        classes,
        maxTargets: 3,
      })),
  },
);

const corruptionsArb: fc.Arbitrary<Corruption[]> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Corruption[]>([]) },
  { weight: 4, arbitrary: fc.constantFrom(...CORRUPTIONS).map((c) => [c]) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...CORRUPTIONS), { minLength: 2, maxLength: 3 }) },
);

/** Which entry points a run calls: the `ILossBackend` methods or the torch-like API. */
export type FuzzApi = 'backend' | 'loss';

/** One call's recipe, through `api`. */
export function callRecipeArbitrary(api: FuzzApi): fc.Arbitrary<CallRecipe> {
  return fc
    .record({
      api: fc.constant(api),
      method: fc.constantFrom<CallMethod>('forward', 'backward', 'forwardBackward', 'forwardBackwardDefault'),
      dtype: fc.constantFrom<'float32' | 'float64'>('float32', 'float32', 'float64'),
      rank: fc.constantFrom<0 | 1 | 2>(0, 1, 2, 2, 2, 2),
      size: sizeArb,
      style: fc.constantFrom<ValueStyle>('uniform', 'ties', 'integers', 'borderline', 'special'),
      seed: fc.nat(),
      reduction: fc.constantFrom<ReductionChoice>(
        'default',
        'none',
        'none',
        'mean',
        'sum',
        'legacy-sum',
        'legacy-none',
        'legacy-mean',
      ),
      storage: fc.record({ input: storageArb, target: storageArb, grad: storageArb }),
      out: fc.constantFrom<OutChoice>('none', 'none', 'output', 'gradInput', 'both'),
      outStorage: storageArb,
      lossTarget: fc.constantFrom<LossTargetForm>('int32', 'bigint64', 'numbers'),
      corruptions: corruptionsArb,
      rewrite: fc.boolean(),
    })
    .map(({ size, rank, ...rest }) => {
      // Rank 0 has C = 1 and rank 1 one row: keep the sizes the recipe states consistent.
      const classes = rank === 0 ? 1 : size.classes;
      const batch = rank === 2 ? size.batch : 1;
      return { ...rest, rank, batch, classes, maxTargets: Math.min(size.maxTargets, classes) };
    });
}

/** One to four calls through `api`, issued together. */
export function groupRecipeArbitrary(api: FuzzApi): fc.Arbitrary<GroupRecipe> {
  return fc.array(callRecipeArbitrary(api), { minLength: 1, maxLength: 4 }).map((calls) => ({ calls }));
}
