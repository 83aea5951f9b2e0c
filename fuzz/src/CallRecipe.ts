/** The precision of a generated problem. */
export type FuzzDtype = 'float32' | 'float64';

/**
 * How a typed array is held: its own buffer, a `SharedArrayBuffer`, a view at an offset into a
 * larger buffer (guard bytes around it), a `subarray` of a larger array, or shared and offset.
 */
export type Storage = 'own' | 'shared' | 'offset' | 'subarray' | 'sharedOffset';

/** How input values are drawn (ties and borderline margins stress the kernels' decisions). */
export type ValueStyle = 'uniform' | 'ties' | 'integers' | 'borderline' | 'special';

/** Which entry point a call goes through. */
export type CallMethod = 'forward' | 'backward' | 'forwardBackward' | 'forwardBackwardDefault';

/** How the reduction is asked for (the legacy flags override `reduction`). */
export type ReductionChoice =
  | 'default'
  | 'none'
  | 'mean'
  | 'sum'
  | 'legacy-sum'
  | 'legacy-none'
  | 'legacy-mean';

/** Which caller-owned result arrays (`options.out`) a call passes. */
export type OutChoice = 'none' | 'output' | 'gradInput' | 'both';

/** How the torch-like API (`@mlml/loss`) gets the target. */
export type LossTargetForm = 'int32' | 'bigint64' | 'numbers';

/**
 * One way to break a call (or, for `options:nullPrototype` and `options:cpuLocation`, an unusual
 * but valid form). Applied on top of a well-formed problem, so that every rule of DESIGN §2 is hit
 * alone and in combination.
 */
export const CORRUPTIONS = [
  'input:int32',
  'input:plainArray',
  'input:null',
  'input:string',
  'input:noData',
  'input:tensorNull',
  'input:lengthPlus1',
  'input:rank3',
  'input:shapeString',
  'input:shapeNegative',
  'input:shapeFraction',
  'input:shapeNaN',
  'input:shapeProxy',
  'input:dataGetter',
  'input:zeroClasses',
  'input:bigint64',
  'target:float32',
  'target:uint32',
  'target:plainArray',
  'target:bigint64',
  'target:shapeMismatch',
  'target:lengthMinus1',
  'target:outOfRangeHigh',
  'target:outOfRangeLow',
  'target:int32Max',
  'target:int32Min',
  'target:badAfterMinusOne',
  'target:beyondInt32',
  'grad:wrongShape',
  'grad:otherDtype',
  'grad:int32',
  'grad:undefined',
  'grad:plainArray',
  'options:string',
  'options:null',
  'options:array',
  'options:number',
  'options:unknownKey',
  'options:badReduction',
  'options:reductionNumber',
  'options:sizeAverageString',
  'options:outString',
  'options:outNull',
  'options:outWrongLength',
  'options:outWrongDtype',
  'options:outOverlapsInput',
  'options:outOverlapsEachOther',
  'options:outPlainArray',
  'options:gpuBuffer',
  'options:badLocation',
  'options:cpuLocation',
  'options:dtypeKey',
  'options:nullPrototype',
  'options:getterReduction',
] as const;

/** See {@link CORRUPTIONS}. */
export type Corruption = (typeof CORRUPTIONS)[number];

/**
 * A call, as plain data (so that a failing case prints as a reproducible recipe): a well-formed
 * problem, how its arrays are held, and what is broken about it.
 */
export interface CallRecipe {
  /** `backend`: the `ILossBackend` methods; `loss`: the torch-like functions of `@mlml/loss`. */
  readonly api: 'backend' | 'loss';
  /** Which method (for `loss`: forward is `multilabelMarginLoss`, the others `...WithGrad`). */
  readonly method: CallMethod;
  /** The input's precision. */
  readonly dtype: FuzzDtype;
  /** 0: shape `[]`; 1: `[C]`; 2: `[N, C]`. */
  readonly rank: 0 | 1 | 2;
  /** N (rank 2 only). */
  readonly batch: number;
  /** C (rank >= 1). */
  readonly classes: number;
  /** The most targets a row has before its first -1. */
  readonly maxTargets: number;
  /** How values are drawn. */
  readonly style: ValueStyle;
  /** Seeds the values, the targets and the grad_output. */
  readonly seed: number;
  /** How the reduction is asked for. */
  readonly reduction: ReductionChoice;
  /** How input, target and grad_output are held. */
  readonly storage: { readonly input: Storage; readonly target: Storage; readonly grad: Storage };
  /** Which result arrays the caller owns. */
  readonly out: OutChoice;
  /** Held as in `storage.input`, for out arrays. */
  readonly outStorage: Storage;
  /** For `api: 'loss'`: how the target is written. */
  readonly lossTarget: LossTargetForm;
  /** What is broken. */
  readonly corruptions: readonly Corruption[];
  /** Whether the caller rewrites every array it passed right after the call returns its promise. */
  readonly rewrite: boolean;
}

/** Calls made together: all issued before any is awaited. */
export interface GroupRecipe {
  /** One to four calls. */
  readonly calls: readonly CallRecipe[];
}
