import { formatShape, LossError } from './LossError.js';
import { outputLength, type Problem } from './Problem.js';
import type { FloatArray, LossOptions, OutArrays, OutputLocation, Reduction } from './types.js';

/** Every option a backend call takes; any other key is a mistake (a typo would silently default). */
const KNOWN_OPTIONS: readonly string[] = ['reduction', 'size_average', 'reduce', 'out', 'outputLocation'];
const OUTPUT_LOCATIONS: readonly string[] = ['cpu', 'gpu-buffer'];

/** The options of a call, each read once from the caller's object. */
export interface ReadOptions {
  /** The options as read (reduction rules are checked by `resolveReduction`). */
  readonly options: LossOptions;
  /** The caller's result arrays, when given (checked later by {@link checkOutArrays}). */
  readonly out?: OutArrays;
}

/** What a call without options reads (shared: nothing writes to it). */
const NO_OPTIONS: ReadOptions = Object.freeze({ options: Object.freeze({}) });

/**
 * Reads a call's options once into a plain object.
 * @throws {LossError} `INVALID_OPTIONS` when `options` is not a plain object, has an unknown key,
 * or `out`/`outputLocation` are of the wrong kind.
 */
export function readOptions(options: unknown): ReadOptions {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new LossError(
      'INVALID_OPTIONS',
      `options must be an object such as { reduction: 'sum' }, but got: ${describeValue(options)}`,
    );
  }
  const source = options as Record<string, unknown>;
  const keys = Object.keys(source);
  // The list of unknown keys is made only when there is one (this runs on every call).
  for (let i = 0; i < keys.length; i++) if (!KNOWN_OPTIONS.includes(keys[i]!)) throw unknownOptions(keys);
  const read: { -readonly [K in keyof LossOptions]?: Exclude<LossOptions[K], undefined> } = {};
  // Each option is read once: a getter cannot answer differently after it was checked.
  const { reduction, size_average: sizeAverage, reduce, outputLocation: location, out: outValue } = source;
  if (reduction !== undefined) read.reduction = reduction as Reduction;
  if (sizeAverage !== undefined) read.size_average = sizeAverage as boolean | null;
  if (reduce !== undefined) read.reduce = reduce as boolean | null;
  if (location !== undefined) {
    if (typeof location !== 'string' || !OUTPUT_LOCATIONS.includes(location)) {
      throw new LossError(
        'INVALID_OPTIONS',
        `outputLocation must be 'cpu' or 'gpu-buffer', but got: ${describeValue(location)}`,
      );
    }
    read.outputLocation = location as OutputLocation;
  }
  const out = readOut(outValue);
  return out === undefined ? { options: read } : { options: read, out };
}

/** The `INVALID_OPTIONS` error naming every unknown key among `keys`. */
function unknownOptions(keys: readonly string[]): LossError {
  const unknown = keys.filter((key) => !KNOWN_OPTIONS.includes(key));
  return new LossError(
    'INVALID_OPTIONS',
    `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${KNOWN_OPTIONS.join(', ')})`,
  );
}

function readOut(value: unknown): OutArrays | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LossError(
      'INVALID_OPTIONS',
      `out must be an object { output?, gradInput? } of typed arrays, but got: ${describeValue(value)}`,
    );
  }
  const { output, gradInput } = value as Record<string, unknown>;
  const read: { output?: FloatArray; gradInput?: FloatArray } = {};
  if (output !== undefined) read.output = output as FloatArray;
  if (gradInput !== undefined) read.gradInput = gradInput as FloatArray;
  return read;
}

/**
 * Checks the caller's result arrays against the problem: the problem's dtype, the exact length,
 * and no byte shared with the input, the target, `others` (the grad_output) or each other.
 * @throws {LossError} `INVALID_OPTIONS` naming what is wrong.
 */
export function checkOutArrays(problem: Problem, others: readonly FloatArray[]): void {
  const out = problem.out;
  if (out === undefined) return;
  // No arrays or closures here: this runs on every call of a training loop.
  const { output, gradInput } = out;
  if (output !== undefined) checkOutArray('out.output', output, outputLength(problem), problem, others);
  if (gradInput !== undefined)
    checkOutArray('out.gradInput', gradInput, problem.batch * problem.classes, problem, others);
  if (output !== undefined && gradInput !== undefined && overlaps(output, gradInput)) {
    throw new LossError('INVALID_OPTIONS', 'out.output and out.gradInput overlap; pass separate arrays');
  }
}

/** One result array's checks: the problem's dtype, `length` elements, no byte shared with an input. */
function checkOutArray(
  name: string,
  array: FloatArray,
  length: number,
  problem: Problem,
  others: readonly FloatArray[],
): void {
  const expected = problem.dtype === 'float32' ? Float32Array : Float64Array;
  if (!(array instanceof expected)) {
    throw new LossError(
      'INVALID_OPTIONS',
      `${name} must be a ${expected.name} (the input's dtype is ${problem.dtype}), but got: ${describeValue(array)}`,
    );
  }
  if (array.length !== length) {
    throw new LossError(
      'INVALID_OPTIONS',
      `${name} has ${array.length} elements but the result of input ${formatShape(problem.inputShape)} needs ${length}`,
    );
  }
  let shared = overlaps(array, problem.input) || overlaps(array, problem.target);
  for (let k = 0; k < others.length && !shared; k++) shared = overlaps(array, others[k]!);
  if (shared) {
    throw new LossError('INVALID_OPTIONS', `${name} overlaps an input of the call; pass an array of its own`);
  }
}

/** Whether two views share at least one byte of the same buffer. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'an array';
  return (value as object).constructor?.name ?? 'object';
}
