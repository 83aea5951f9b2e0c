import type { Dtype, FloatArray, Tensor } from '@mlml/core-spec';
import { decodeFloat } from './floatEncoding.js';
import {
  type ExactValues,
  GOLDEN_FORMAT,
  type GoldenCase,
  type GoldenFile,
  type GoldenGenerator,
  type GoldenOptions,
} from './GoldenFile.js';
import { type Fail, type Json, jsonObject, rootObject, show } from './goldenJson.js';

/** A malformed golden file: `path` is the JSON path of the bad field, e.g. `cases[3].input.shape[1]`. */
export class GoldenFormatError extends Error {
  /** The JSON path of the offending field (`$` for the whole document). */
  readonly path: string;
  /** The file (or name) being read. */
  readonly source: string;

  constructor(source: string, path: string, problem: string) {
    super(`${source}: ${path}: ${problem}`);
    this.name = 'GoldenFormatError';
    this.path = path;
    this.source = source;
  }
}

const CASE_KEYS = new Set(['id', 'tags', 'dtype', 'input', 'target', 'options', 'grad_output', 'expected']);
const OPTION_KEYS = new Set(['reduction', 'size_average', 'reduce']);
const TENSOR_KEYS = new Set(['shape', 'data']);

/**
 * Reads and checks an `mlml-golden-v1` document (its text or its parsed JSON), and decodes it:
 * input, grad_output and expected values become Float32Array/Float64Array by the case's dtype,
 * targets Int32Array, `"NaN"`/`"Infinity"`/`"-Infinity"` numbers.
 * @param source names the file in error messages and reports.
 * @throws {GoldenFormatError} at the first malformed field, with its JSON path.
 */
export function parseGoldenFile(json: Json, source = 'golden file'): GoldenFile {
  const fail = (path: string, problem: string): never => {
    throw new GoldenFormatError(source, path, problem);
  };
  const file = rootObject(json, fail);
  if (file.format !== GOLDEN_FORMAT) {
    fail('format', `expected "${GOLDEN_FORMAT}", got ${show(file.format)}`);
  }
  const generator = parseGenerator(file.generator, fail);
  const cases = file.cases;
  if (!Array.isArray(cases)) fail('cases', `expected an array, got ${show(cases)}`);
  const seen = new Set<string>();
  const decoded = (cases as Json[]).map((raw, i) => {
    const parsed = parseCase(raw, `cases[${i}]`, fail);
    if (seen.has(parsed.id)) fail(`cases[${i}].id`, `duplicate id ${JSON.stringify(parsed.id)}`);
    seen.add(parsed.id);
    return parsed;
  });
  return { format: GOLDEN_FORMAT, generator, cases: decoded, source };
}

function parseGenerator(raw: Json, fail: Fail): GoldenGenerator {
  const g = jsonObject(raw, 'generator', fail);
  if (typeof g.name !== 'string' || g.name === '')
    fail('generator.name', `expected a non-empty string, got ${show(g.name)}`);
  const generator: {
    name: string;
    version?: string;
    script?: string;
    seed?: number | string;
    build?: Record<string, string>;
  } = { name: g.name as string };
  for (const key of ['version', 'script'] as const) {
    if (g[key] === undefined) continue;
    if (typeof g[key] !== 'string') fail(`generator.${key}`, `expected a string, got ${show(g[key])}`);
    generator[key] = g[key] as string;
  }
  if (g.seed !== undefined) {
    if (typeof g.seed !== 'number' && typeof g.seed !== 'string') {
      fail('generator.seed', `expected a number or string, got ${show(g.seed)}`);
    }
    generator.seed = g.seed as number | string;
  }
  if (g.build !== undefined) {
    const build = jsonObject(g.build, 'generator.build', fail);
    for (const [key, value] of Object.entries(build)) {
      if (typeof value !== 'string') fail(`generator.build.${key}`, `expected a string, got ${show(value)}`);
    }
    generator.build = build as Record<string, string>;
  }
  return generator;
}

function parseCase(raw: Json, path: string, fail: Fail): GoldenCase {
  const c = jsonObject(raw, path, fail);
  for (const key of Object.keys(c)) {
    if (!CASE_KEYS.has(key)) fail(`${path}.${key}`, `unknown field (expected ${[...CASE_KEYS].join(', ')})`);
  }
  if (typeof c.id !== 'string' || c.id === '')
    fail(`${path}.id`, `expected a non-empty string, got ${show(c.id)}`);
  const tags: string[] = [];
  if (c.tags !== undefined) {
    if (!Array.isArray(c.tags)) fail(`${path}.tags`, `expected an array of strings, got ${show(c.tags)}`);
    (c.tags as Json[]).forEach((tag, i) => {
      if (typeof tag !== 'string') fail(`${path}.tags[${i}]`, `expected a string, got ${show(tag)}`);
      tags.push(tag as string);
    });
  }
  if (c.dtype !== 'float32' && c.dtype !== 'float64') {
    fail(`${path}.dtype`, `expected "float32" or "float64", got ${show(c.dtype)}`);
  }
  const dtype = c.dtype as Dtype;
  const expectedRaw = jsonObject(c.expected, `${path}.expected`, fail);
  const isError = expectedRaw.error !== undefined;
  // Only an error case may hold data whose length does not fit its shape (that is its error).
  const strict = !isError;
  const input = floatTensor(c.input, `${path}.input`, dtype, strict, fail);
  const target = intTensor(c.target, `${path}.target`, strict, fail);
  const options = parseOptions(c.options, `${path}.options`, isError, fail);
  const gradOutput =
    c.grad_output === undefined
      ? undefined
      : floatTensor(c.grad_output, `${path}.grad_output`, dtype, strict, fail);

  let expected: GoldenCase['expected'];
  if (isError) {
    for (const key of Object.keys(expectedRaw)) {
      if (key !== 'error') fail(`${path}.expected.${key}`, 'an error case expects nothing but "error"');
    }
    const error = jsonObject(expectedRaw.error, `${path}.expected.error`, fail);
    if (typeof error.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code)) {
      fail(
        `${path}.expected.error.code`,
        `expected an error code like "TARGET_OUT_OF_RANGE", got ${show(error.code)}`,
      );
    }
    expected = { kind: 'error', code: error.code as string };
  } else {
    for (const key of Object.keys(expectedRaw)) {
      if (key !== 'output' && key !== 'grad_input' && key !== 'exact') {
        fail(`${path}.expected.${key}`, 'unknown field (expected output, grad_input, exact or error)');
      }
    }
    if (expectedRaw.output === undefined) fail(`${path}.expected.output`, 'missing (or give expected.error)');
    const output = floatTensor(expectedRaw.output, `${path}.expected.output`, dtype, true, fail);
    if (gradOutput !== undefined && expectedRaw.grad_input === undefined) {
      fail(`${path}.expected.grad_input`, 'missing: a case with grad_output must give the expected gradient');
    }
    if (gradOutput === undefined && expectedRaw.grad_input !== undefined) {
      fail(`${path}.expected.grad_input`, 'given without grad_output (which gradient would it be?)');
    }
    const gradInput =
      expectedRaw.grad_input === undefined
        ? undefined
        : floatTensor(expectedRaw.grad_input, `${path}.expected.grad_input`, dtype, true, fail);
    const exact =
      expectedRaw.exact === undefined
        ? undefined
        : parseExact(expectedRaw.exact, `${path}.expected.exact`, dtype, gradInput !== undefined, fail);
    expected = {
      kind: 'values',
      output,
      ...(gradInput === undefined ? {} : { gradInput }),
      ...(exact === undefined ? {} : { exact }),
    };
  }
  return {
    id: c.id as string,
    tags,
    dtype,
    input,
    target,
    options,
    ...(gradOutput === undefined ? {} : { gradOutput }),
    expected,
  };
}

function parseExact(raw: Json, path: string, dtype: Dtype, withGradient: boolean, fail: Fail): ExactValues {
  const e = jsonObject(raw, path, fail);
  for (const key of Object.keys(e)) {
    if (key !== 'output' && key !== 'grad_input')
      fail(`${path}.${key}`, 'unknown field (expected output, grad_input)');
  }
  if (e.output === undefined) fail(`${path}.output`, 'missing');
  const output = floatTensor(e.output, `${path}.output`, dtype, true, fail);
  if (withGradient !== (e.grad_input !== undefined)) {
    fail(
      `${path}.grad_input`,
      withGradient ? 'missing (the case has grad_output)' : 'given without grad_output',
    );
  }
  return withGradient
    ? { output, gradInput: floatTensor(e.grad_input, `${path}.grad_input`, dtype, true, fail) }
    : { output };
}

function parseOptions(raw: Json, path: string, isError: boolean, fail: Fail): GoldenOptions {
  if (raw === undefined) return {};
  const o = jsonObject(raw, path, fail);
  const options: { reduction?: string; size_average?: boolean | null; reduce?: boolean | null } = {};
  for (const [key, value] of Object.entries(o)) {
    if (!OPTION_KEYS.has(key))
      fail(`${path}.${key}`, 'unknown option (expected reduction, size_average, reduce)');
    if (key === 'reduction') {
      const valid = value === 'none' || value === 'mean' || value === 'sum';
      // An invalid reduction is only meaningful as an error case.
      if (typeof value !== 'string' || (!valid && !isError)) {
        fail(`${path}.reduction`, `expected "none", "mean" or "sum", got ${show(value)}`);
      }
      options.reduction = value as string;
    } else {
      if (value !== null && typeof value !== 'boolean') {
        fail(`${path}.${key}`, `expected true, false or null, got ${show(value)}`);
      }
      options[key as 'size_average' | 'reduce'] = value as boolean | null;
    }
  }
  return options;
}

function shapeOf(raw: Json, path: string, fail: Fail): number[] {
  if (!Array.isArray(raw)) fail(`${path}.shape`, `expected an array of sizes, got ${show(raw)}`);
  return (raw as Json[]).map((size, i) => {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      fail(`${path}.shape[${i}]`, `expected a non-negative integer, got ${show(size)}`);
    }
    return size as number;
  });
}

function tensorParts(
  raw: Json,
  path: string,
  strict: boolean,
  fail: Fail,
): { shape: number[]; data: Json[] } {
  const t = jsonObject(raw, path, fail);
  for (const key of Object.keys(t)) {
    if (!TENSOR_KEYS.has(key)) fail(`${path}.${key}`, 'unknown field (expected shape, data)');
  }
  const shape = shapeOf(t.shape, path, fail);
  if (!Array.isArray(t.data)) fail(`${path}.data`, `expected an array, got ${show(t.data)}`);
  const data = t.data as Json[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (strict && data.length !== size) {
    fail(`${path}.data`, `has ${data.length} values but shape [${shape.join(', ')}] needs ${size}`);
  }
  return { shape, data };
}

function floatTensor(raw: Json, path: string, dtype: Dtype, strict: boolean, fail: Fail): Tensor<FloatArray> {
  const { shape, data } = tensorParts(raw, path, strict, fail);
  const values = dtype === 'float32' ? new Float32Array(data.length) : new Float64Array(data.length);
  data.forEach((value, i) => {
    const decoded = decodeFloat(value);
    if (decoded === undefined) {
      fail(`${path}.data[${i}]`, `expected a number, "NaN", "Infinity" or "-Infinity", got ${show(value)}`);
    }
    values[i] = decoded as number;
  });
  return { shape, data: values };
}

function intTensor(raw: Json, path: string, strict: boolean, fail: Fail): Tensor<Int32Array> {
  const { shape, data } = tensorParts(raw, path, strict, fail);
  const values = new Int32Array(data.length);
  data.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      fail(`${path}.data[${i}]`, `expected a 32-bit integer class index, got ${show(value)}`);
    }
    values[i] = value as number;
  });
  return { shape, data: values };
}
