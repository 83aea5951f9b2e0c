import type { Dtype, FloatArray, Reduction, Tensor } from '@mlml/core-spec';
import { decodeFloat } from './floatEncoding.js';
import { type Fail, type Json, jsonObject, rootObject } from './goldenJson.js';
import { LARGE_GOLDEN_FORMAT, type LargeGoldenCase, type LargeGoldenFile } from './LargeGoldenFile.js';
import { GoldenFormatError, parseGoldenFile } from './parseGoldenFile.js';
import type { SeededRecipe } from './seededProblem.js';

/**
 * Reads and checks an `mlml-golden-large-v1` document (text or parsed JSON).
 * @throws {GoldenFormatError} at the first malformed field, with its JSON path.
 */
export function parseLargeGoldenFile(json: Json, source = 'large golden file'): LargeGoldenFile {
  const fail: Fail = (path, problem) => {
    throw new GoldenFormatError(source, path, problem);
  };
  const file = rootObject(json, fail);
  if (file.format !== LARGE_GOLDEN_FORMAT) fail('format', `expected "${LARGE_GOLDEN_FORMAT}"`);
  // The generator block has the golden-v1 shape: reuse that parser on an empty case list.
  const { generator } = parseGoldenFile(
    { format: 'mlml-golden-v1', generator: file.generator, cases: [] },
    source,
  );
  if (!Array.isArray(file.problems)) fail('problems', 'expected an array');
  const seen = new Set<string>();
  const cases = (file.problems as Json[]).map((raw, i) => {
    const parsed = parseLargeCase(raw, `problems[${i}]`, fail);
    if (seen.has(parsed.id)) fail(`problems[${i}].id`, `duplicate id ${JSON.stringify(parsed.id)}`);
    seen.add(parsed.id);
    return parsed;
  });
  return { format: LARGE_GOLDEN_FORMAT, generator, cases, source };
}

function parseLargeCase(raw: Json, path: string, fail: Fail): LargeGoldenCase {
  const c = jsonObject(raw, path, fail);
  if (typeof c.id !== 'string' || c.id === '') fail(`${path}.id`, 'expected a non-empty string');
  if (c.dtype !== 'float32' && c.dtype !== 'float64')
    fail(`${path}.dtype`, 'expected "float32" or "float64"');
  const dtype = c.dtype as Dtype;
  const tags = Array.isArray(c.tags)
    ? (c.tags as Json[]).filter((t): t is string => typeof t === 'string')
    : [];
  const recipe = parseRecipe(c.recipe, `${path}.recipe`, fail);
  const options = jsonObject(c.options, `${path}.options`, fail);
  const reduction = options.reduction;
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    fail(`${path}.options.reduction`, 'expected "none", "mean" or "sum"');
  }
  const expected = jsonObject(c.expected, `${path}.expected`, fail);
  const exact = jsonObject(expected.exact, `${path}.expected.exact`, fail);
  const grad = jsonObject(expected.grad_input, `${path}.expected.grad_input`, fail);
  const counts = jsonObject(grad.counts, `${path}.expected.grad_input.counts`, fail);
  const shape = integers(grad.shape, `${path}.expected.grad_input.shape`, fail);
  if (shape.length !== 2 || shape[0] !== recipe.batch || shape[1] !== recipe.classes) {
    fail(`${path}.expected.grad_input.shape`, `expected [${recipe.batch}, ${recipe.classes}]`);
  }
  const rowWeighted = integers(counts.row_weighted, `${path}.expected.grad_input.counts.row_weighted`, fail);
  if (rowWeighted.length !== recipe.batch)
    fail(`${path}.expected.grad_input.counts.row_weighted`, 'one per row');
  const samples = jsonObject(grad.samples, `${path}.expected.grad_input.samples`, fail);
  const exactSamples = jsonObject(
    jsonObject(exact.grad_input, `${path}.expected.exact.grad_input`, fail).samples,
    `${path}.expected.exact.grad_input.samples`,
    fail,
  );
  const sampleIndex = integers(samples.index, `${path}.expected.grad_input.samples.index`, fail);
  const samplePytorch = floats(samples.data, `${path}.expected.grad_input.samples.data`, dtype, fail);
  const sampleExact = floats(
    exactSamples.data,
    `${path}.expected.exact.grad_input.samples.data`,
    dtype,
    fail,
  );
  if (samplePytorch.length !== sampleIndex.length || sampleExact.length !== sampleIndex.length) {
    fail(`${path}.expected.grad_input.samples`, 'index and data of different lengths');
  }
  const number = (value: Json, at: string) =>
    typeof value === 'number' && Number.isSafeInteger(value) ? value : fail(at, 'expected an integer');
  let sha256: { input: string; target: string } | undefined;
  if (c.sha256 !== undefined) {
    const h = jsonObject(c.sha256, `${path}.sha256`, fail);
    if (typeof h.input !== 'string' || typeof h.target !== 'string')
      fail(`${path}.sha256`, 'expected { input, target } hex strings');
    sha256 = { input: h.input as string, target: h.target as string };
  }
  return {
    id: c.id as string,
    tags,
    dtype,
    recipe,
    ...(sha256 === undefined ? {} : { sha256 }),
    reduction: reduction as Reduction,
    output: tensor(expected.output, `${path}.expected.output`, dtype, fail),
    exactOutput: tensor(exact.output, `${path}.expected.exact.output`, dtype, fail),
    gradient: {
      shape,
      rowWeighted,
      squared: number(counts.squared, `${path}.expected.grad_input.counts.squared`),
      nonzero: number(counts.nonzero, `${path}.expected.grad_input.counts.nonzero`),
      sampleIndex,
      samplePytorch,
      sampleExact,
    },
  };
}

function parseRecipe(raw: Json, path: string, fail: Fail): SeededRecipe {
  const r = jsonObject(raw, path, fail);
  const positive = (key: string) => {
    const v = r[key];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
      ? v
      : fail(`${path}.${key}`, 'expected a count');
  };
  const batch = positive('batch');
  const classes = positive('classes');
  const seed = positive('seed');
  const borderline = r.borderline === undefined ? 0 : positive('borderline');
  if (r.values !== 'spread' && r.values !== 'ties') fail(`${path}.values`, 'expected "spread" or "ties"');
  let targets: SeededRecipe['targets'];
  if (Array.isArray(r.targets)) {
    targets = integers(r.targets, `${path}.targets`, fail);
    if (targets.length === 0) fail(`${path}.targets`, 'expected at least one J');
  } else {
    const range = jsonObject(r.targets, `${path}.targets`, fail);
    const [from, to] = [range.from, range.to];
    if (
      !(
        typeof from === 'number' &&
        typeof to === 'number' &&
        Number.isSafeInteger(from) &&
        to >= from &&
        from >= 0
      )
    ) {
      fail(`${path}.targets`, 'expected a list of J or { from, to }');
    }
    targets = { from: from as number, to: to as number };
  }
  return { batch, classes, seed, values: r.values as 'spread' | 'ties', targets, borderline };
}

function tensor(raw: Json, path: string, dtype: Dtype, fail: Fail): Tensor<FloatArray> {
  const t = jsonObject(raw, path, fail);
  const shape = integers(t.shape, `${path}.shape`, fail);
  const data = floats(t.data, `${path}.data`, dtype, fail);
  if (data.length !== shape.reduce((a, b) => a * b, 1)) fail(`${path}.data`, 'length does not fit the shape');
  return { shape, data };
}

function floats(raw: Json, path: string, dtype: Dtype, fail: Fail): FloatArray {
  if (!Array.isArray(raw)) fail(path, 'expected an array');
  const values = (raw as Json[]).map((v, i) => decodeFloat(v) ?? fail(`${path}[${i}]`, 'expected a number'));
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

function integers(raw: Json, path: string, fail: Fail): number[] {
  if (!Array.isArray(raw)) fail(path, 'expected an array of integers');
  return (raw as Json[]).map((v, i) =>
    typeof v === 'number' && Number.isSafeInteger(v) ? v : fail(`${path}[${i}]`, 'expected an integer'),
  );
}
