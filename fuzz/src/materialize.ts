import type { FloatArray, ILossBackend, LossOptions, Tensor } from '@mlml/core-spec';
import { multilabelMarginLoss, multilabelMarginLossBackward, multilabelMarginLossWithGrad } from '@mlml/loss';
import type { CallRecipe, Corruption } from './CallRecipe.js';
import { firstChangedByte, heldArray, snapshotBuffer } from './heldArray.js';
import { perSampleOutput, problemValues } from './problemValues.js';

/** Something the caller passed that a call must leave as it was. */
export interface Watched {
  /** What it is, for messages: `input.data`, `target.shape`, ... */
  readonly name: string;
  /** Takes a snapshot now; the function returned describes the first change since, or undefined. */
  take(): () => string | undefined;
}

/** A recipe turned into live arguments, ready to call a backend with. */
export interface LiveCall {
  /** What it was built from. */
  readonly recipe: CallRecipe;
  /** Starts the call on `backend` (synchronously) and returns its promise. */
  invoke(backend: ILossBackend): Promise<unknown>;
  /** The caller's arrays and shapes, which no call may change. */
  readonly watched: readonly Watched[];
  /** The caller's `out.output`, when valid-looking typed arrays were passed. */
  readonly outOutput: FloatArray | undefined;
  /** The caller's `out.gradInput`, likewise. */
  readonly outGradInput: FloatArray | undefined;
  /** Overwrites every array and shape the caller passed (as a training loop refilling them does). */
  rewrite(): void;
}

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/**
 * Builds a recipe's arguments. With `plain`, the tricks that must not change the outcome (a shape
 * Proxy answering differently on a second read, a `data` getter, a `reduction` getter, an options
 * object without prototype) are replaced by the plain values they first answer: the reference
 * computes from those, so a backend (or validation) that reads twice is caught.
 */
export function materialize(recipe: CallRecipe, plain: boolean): LiveCall {
  const has = (c: Corruption) => recipe.corruptions.includes(c);
  const { dtype, rank, batch, classes, storage } = recipe;
  const { values, targets, grads } = problemValues(recipe);
  const FloatCtor: Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const OtherCtor: Ctor = dtype === 'float32' ? Float64Array : Float32Array;
  const shape = rank === 0 ? [] : rank === 1 ? [classes] : [batch, classes];
  const watched: Watched[] = [];
  const rewrites: (() => void)[] = [];
  const pick = (salt: number, size: number) => (size <= 0 ? 0 : (recipe.seed * 31 + salt * 7919) % size);

  // Input.
  const inputValues = has('input:lengthPlus1') ? [...values, 0.5] : has('input:zeroClasses') ? [] : values;
  let inputData: unknown = heldArray(FloatCtor, inputValues, storage.input);
  const integers = inputValues.map((v) => (Number.isFinite(v) ? Math.trunc(v) : 0));
  if (has('input:int32')) inputData = heldArray(Int32Array, integers, storage.input);
  if (has('input:plainArray')) inputData = [...inputValues];
  if (has('input:bigint64')) inputData = BigInt64Array.from(integers.map((v) => BigInt(v)));
  if (has('input:null')) inputData = null;
  if (has('input:string')) inputData = 'abc';
  let inputShape: unknown = [...shape];
  if (has('input:rank3')) inputShape = rank === 2 ? [1, ...shape] : rank === 1 ? [1, 1, classes] : [1, 1, 1];
  if (has('input:shapeString')) inputShape = 'abc';
  if (has('input:shapeNegative')) inputShape = rank === 2 ? [-batch - 1, classes] : [-1];
  if (has('input:shapeFraction')) inputShape = rank === 2 ? [batch + 0.5, classes] : [classes + 0.5];
  if (has('input:shapeNaN')) inputShape = [Number.NaN];
  if (has('input:zeroClasses')) inputShape = rank === 2 ? [batch, 0] : [0];
  if (has('input:shapeProxy') && !plain && Array.isArray(inputShape)) inputShape = readOnceProxy(inputShape);
  let input: unknown = { data: inputData, shape: inputShape };
  if (has('input:dataGetter') && !plain) input = getterTensor(inputData, inputShape);
  if (has('input:noData')) input = { shape: inputShape };
  if (has('input:tensorNull')) input = null;
  watchValue(watched, rewrites, 'input.data', inputData, () => 0.75);
  watchValue(watched, rewrites, 'input.shape', inputShape, () => 3);

  // Target.
  let targetValues: (number | bigint)[] = has('target:lengthMinus1') ? targets.slice(0, -1) : [...targets];
  if (has('input:zeroClasses')) targetValues = [];
  const length = targetValues.length;
  const set = (salt: number, value: number) => {
    if (length > 0) targetValues[pick(salt, length)] = value;
  };
  if (has('target:outOfRangeHigh')) set(1, classes + (recipe.seed % 3));
  if (has('target:outOfRangeLow')) set(2, -2 - (recipe.seed % 2));
  if (has('target:int32Max')) set(3, 2147483647);
  if (has('target:int32Min')) set(4, -2147483648);
  if (has('target:badAfterMinusOne')) {
    const first = targetValues.indexOf(-1);
    if (first >= 0 && first + 1 < length && Math.floor((first + 1) / classes) === Math.floor(first / classes))
      targetValues[first + 1] = classes + 5;
  }
  const beyond = has('target:beyondInt32');
  const form = recipe.api === 'loss' ? recipe.lossTarget : 'int32';
  let targetData: unknown;
  if (has('target:bigint64') || form === 'bigint64') {
    if (beyond) set(5, 2 ** 40);
    targetData = BigInt64Array.from(targetValues.map((v) => BigInt(v)));
  } else if (has('target:plainArray') || form === 'numbers') {
    if (beyond) set(5, recipe.seed % 2 === 0 ? 2 ** 31 + 7 : -(2 ** 31) - 9);
    targetData = targetValues.map((v) => Number(v));
  } else {
    if (beyond) set(5, 2147483647);
    const numbers = targetValues.map((v) => Number(v));
    targetData = heldArray(Int32Array, numbers, storage.target);
    if (has('target:float32')) targetData = Float32Array.from(numbers);
    if (has('target:uint32')) targetData = heldArray(Uint32Array, numbers, storage.target);
  }
  let targetShape: number[] = [...shape];
  if (has('target:shapeMismatch')) targetShape = rank === 2 ? [batch * classes] : [1, classes];
  if (has('input:zeroClasses')) targetShape = rank === 2 ? [batch, 0] : [0];
  const target = { data: targetData, shape: targetShape };
  watchValue(watched, rewrites, 'target.data', targetData, () => classes + 1000);
  watchValue(watched, rewrites, 'target.shape', targetShape, () => 3);

  // grad_output.
  const perSample = perSampleOutput(recipe);
  let gradValues = grads;
  let gradShape = perSample ? [batch] : [];
  if (has('grad:wrongShape')) {
    gradValues = perSample ? [...grads, 1] : [1];
    gradShape = perSample ? [batch + 1] : [1];
  }
  let gradData: unknown = heldArray(FloatCtor, gradValues, storage.grad);
  if (has('grad:otherDtype')) gradData = heldArray(OtherCtor, gradValues, storage.grad);
  if (has('grad:int32')) gradData = heldArray(Int32Array, gradValues.map(Math.trunc), storage.grad);
  if (has('grad:plainArray')) gradData = [...gradValues];
  const gradOutput = has('grad:undefined') ? undefined : { data: gradData, shape: gradShape };
  const usesGrad = recipe.method === 'backward' || recipe.method === 'forwardBackward';
  if (usesGrad && gradOutput !== undefined) {
    watchValue(watched, rewrites, 'grad_output.data', gradData, () => 1e30);
    watchValue(watched, rewrites, 'grad_output.shape', gradShape, () => 3);
  }

  // Options.
  const base: Record<string, unknown> = {};
  if (recipe.reduction === 'none' || recipe.reduction === 'mean' || recipe.reduction === 'sum')
    base.reduction = recipe.reduction;
  if (recipe.reduction === 'legacy-sum') base.size_average = false;
  if (recipe.reduction === 'legacy-none') Object.assign(base, { reduce: false, reduction: 'sum' });
  if (recipe.reduction === 'legacy-mean')
    Object.assign(base, { size_average: true, reduce: null, reduction: 'sum' });
  const outputLength = perSample ? batch : 1;
  const gradLength = inputValues.length;
  const stale = (n: number) => new Array<number>(n).fill(12345);
  let outOutput: FloatArray | undefined;
  let outGradInput: FloatArray | undefined;
  if (recipe.out === 'output' || recipe.out === 'both')
    outOutput = heldArray(FloatCtor, stale(outputLength), recipe.outStorage);
  if (recipe.out === 'gradInput' || recipe.out === 'both')
    outGradInput = heldArray(FloatCtor, stale(gradLength), recipe.outStorage);
  if (has('options:outWrongLength'))
    outOutput = heldArray(FloatCtor, stale(outputLength + 1), recipe.outStorage);
  if (has('options:outWrongDtype')) outGradInput = heldArray(OtherCtor, stale(gradLength), recipe.outStorage);
  if (has('options:outOverlapsInput') && inputData instanceof FloatCtor)
    outGradInput = new FloatCtor(inputData.buffer as ArrayBuffer, inputData.byteOffset, inputData.length);
  if (has('options:outOverlapsEachOther')) {
    const shared = new FloatCtor(Math.max(outputLength, gradLength) + 1);
    outOutput = shared.subarray(0, outputLength);
    outGradInput = shared.subarray(1, 1 + gradLength);
  }
  let out: unknown;
  if (outOutput !== undefined || outGradInput !== undefined) {
    const given: Record<string, unknown> = {};
    if (outOutput !== undefined) given.output = outOutput;
    if (outGradInput !== undefined) given.gradInput = outGradInput;
    out = given;
  }
  if (has('options:outString')) out = 'abc';
  if (has('options:outNull')) out = null;
  if (has('options:outPlainArray')) out = { output: stale(outputLength) };
  if (out !== undefined) base.out = out;
  if (has('options:unknownKey')) base.weight = 1;
  if (has('options:badReduction')) base.reduction = 'avg';
  if (has('options:reductionNumber')) base.reduction = 1;
  if (has('options:sizeAverageString')) base.size_average = 'no';
  if (has('options:gpuBuffer')) base.outputLocation = 'gpu-buffer';
  if (has('options:badLocation')) base.outputLocation = 'gpu';
  if (has('options:cpuLocation')) base.outputLocation = 'cpu';
  if (has('options:dtypeKey')) base.dtype = 'float16';
  let options: unknown = base;
  if (has('options:nullPrototype') && !plain) options = Object.assign(Object.create(null) as object, base);
  if (has('options:getterReduction') && !plain) options = getterOptions(base);
  if (has('options:string')) options = 'sum';
  if (has('options:null')) options = null;
  if (has('options:array')) options = ['sum'];
  if (has('options:number')) options = 42;
  if (recipe.api === 'backend' && options === base && Object.keys(base).length === 0 && recipe.seed % 2 === 0)
    options = undefined;
  const checkedOut = (array: FloatArray | undefined) =>
    array instanceof FloatCtor &&
    (outOutput === undefined || outGradInput === undefined || outOutput.buffer !== outGradInput.buffer)
      ? array
      : undefined;

  return {
    recipe,
    watched,
    outOutput: checkedOut(outOutput),
    outGradInput: checkedOut(outGradInput),
    rewrite: () => {
      for (const rewrite of rewrites) rewrite();
    },
    invoke: (backend) => invoke(recipe, backend, input, target, gradOutput, options),
  };
}

/** Calls the recipe's entry point. Arguments are deliberately of any type: hence the casts. */
function invoke(
  recipe: CallRecipe,
  backend: ILossBackend,
  input: unknown,
  target: unknown,
  gradOutput: unknown,
  options: unknown,
): Promise<unknown> {
  const x = input as Tensor<FloatArray>;
  const y = target as Tensor<Int32Array>;
  const g = gradOutput as Tensor<FloatArray> | undefined;
  if (recipe.api === 'backend') {
    const o = options as LossOptions | undefined;
    if (recipe.method === 'forward') return backend.forward(x, y, o);
    if (recipe.method === 'backward') return backend.backward(x, y, g as Tensor<FloatArray>, o);
    if (recipe.method === 'forwardBackward') return backend.forwardBackward(x, y, g, o);
    return backend.forwardBackward(x, y, undefined, o);
  }
  // The torch-like API: the backend instance rides in the options (non-objects stay as given).
  if (typeof options === 'object' && options !== null && !Array.isArray(options))
    (options as Record<string, unknown>).backend = backend;
  const o = options as Parameters<typeof multilabelMarginLoss>[2];
  const t = target as Parameters<typeof multilabelMarginLoss>[1];
  if (recipe.method === 'forward') return multilabelMarginLoss(x, t, o);
  if (recipe.method === 'backward') return multilabelMarginLossBackward(x, t, g, o);
  if (recipe.method === 'forwardBackward') return multilabelMarginLossWithGrad(x, t, g, o);
  return multilabelMarginLossWithGrad(x, t, undefined, o);
}

/** Adds `value` (a typed array or a plain array) to the watched list and the rewrites. */
function watchValue(
  watched: Watched[],
  rewrites: (() => void)[],
  name: string,
  value: unknown,
  fill: () => number,
): void {
  if (ArrayBuffer.isView(value)) {
    const view = value;
    watched.push({
      name,
      take: () => {
        const before = snapshotBuffer(view);
        return () => {
          const at = firstChangedByte(view, before, false);
          return at < 0 ? undefined : `${name}: byte ${at} of its buffer changed`;
        };
      },
    });
    rewrites.push(() => {
      if (view instanceof BigInt64Array) view.fill(BigInt(Math.trunc(fill())));
      else if (view instanceof Float32Array || view instanceof Float64Array || view instanceof Int32Array)
        view.fill(fill());
      else if (view instanceof Uint32Array || view instanceof Uint8Array) view.fill(fill());
    });
  } else if (Array.isArray(value) && !isProxied(value)) {
    const array = value as unknown[];
    watched.push({
      name,
      take: () => {
        const before = [...array];
        return () => {
          if (array.length !== before.length)
            return `${name}: length ${before.length} became ${array.length}`;
          const at = array.findIndex((v, i) => !Object.is(v, before[i]));
          return at < 0
            ? undefined
            : `${name}[${at}] changed from ${String(before[at])} to ${String(array[at])}`;
        };
      },
    });
    rewrites.push(() => array.fill(fill()));
  }
}

const proxies = new WeakSet<object>();

function isProxied(value: object): boolean {
  return proxies.has(value);
}

/**
 * A Proxy of a shape array that answers each index with its true value the first time and 7 on
 * every later read: validation reads a shape once, so nothing downstream may read it again.
 */
function readOnceProxy(shape: unknown[]): unknown[] {
  const read = new Set<string>();
  const proxy = new Proxy(shape, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        if (read.has(key)) return 7;
        read.add(key);
      }
      return Reflect.get(target, key, receiver);
    },
  });
  proxies.add(proxy);
  return proxy;
}

/** A tensor whose `data` getter gives the array once and an empty Float32Array after. */
function getterTensor(data: unknown, shape: unknown): unknown {
  let reads = 0;
  return {
    get data() {
      reads++;
      return reads === 1 ? data : new Float32Array(0);
    },
    shape,
  };
}

/** Options whose `reduction` getter answers as given once and 'bogus' after. */
function getterOptions(base: Record<string, unknown>): object {
  const { reduction, ...rest } = base;
  let reads = 0;
  const options = { ...rest };
  Object.defineProperty(options, 'reduction', {
    enumerable: true,
    configurable: true,
    get() {
      reads++;
      return reads === 1 ? reduction : 'bogus';
    },
  });
  return options;
}
