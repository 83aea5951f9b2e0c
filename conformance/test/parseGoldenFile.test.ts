import { describe, expect, it } from 'vitest';
import { GoldenFormatError, parseGoldenFile } from '../src/index.ts';
import { builtinFixturePaths, loadGoldenFiles } from '../src/node.ts';

const CASE = {
  id: 'a/b',
  tags: ['x'],
  dtype: 'float32',
  input: { shape: [1, 4], data: [0.1, 'NaN', 'Infinity', '-Infinity'] },
  target: { shape: [1, 4], data: [3, 0, -1, 1] },
  options: { reduction: 'none', size_average: null },
  grad_output: { shape: [1], data: [-2] },
  expected: { output: { shape: [1], data: [0.85] }, grad_input: { shape: [1, 4], data: [1, -1, 0, 0] } },
};
const FILE = { format: 'mlml-golden-v1', generator: { name: 'hand', seed: 0 }, cases: [CASE] };

// biome-ignore lint/suspicious/noExplicitAny: the test breaks the file's structure on purpose
type Loose = any;

function pathOf(mutate: (file: Loose) => void): string {
  const file: Loose = structuredClone(FILE);
  mutate(file);
  try {
    parseGoldenFile(file, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(GoldenFormatError);
    expect((error as Error).message.startsWith('test.json: ')).toBe(true);
    return (error as GoldenFormatError).path;
  }
  throw new Error('parsed a malformed file');
}

describe('parseGoldenFile', () => {
  it('decodes to typed arrays by dtype, with non-finite strings', () => {
    const file = parseGoldenFile(JSON.stringify(FILE), 'x');
    const c = file.cases[0]!;
    expect(c.input.data).toBeInstanceOf(Float32Array);
    expect(Array.from(c.input.data)).toEqual([Math.fround(0.1), Number.NaN, Infinity, -Infinity]);
    expect(c.target.data).toBeInstanceOf(Int32Array);
    expect(c.gradOutput?.data).toBeInstanceOf(Float32Array);
    expect(c.expected.kind).toBe('values');
    const f64 = parseGoldenFile({ ...FILE, cases: [{ ...CASE, dtype: 'float64' }] });
    expect(f64.cases[0]!.input.data).toBeInstanceOf(Float64Array);
    expect(f64.cases[0]!.input.data[0]).toBe(0.1);
  });

  it('rejects a malformed file with the JSON path of the bad field', () => {
    expect(
      pathOf((f) => {
        f.format = 'mlml-golden-v2';
      }),
    ).toBe('format');
    expect(
      pathOf((f) => {
        delete f.generator.name;
      }),
    ).toBe('generator.name');
    expect(
      pathOf((f) => {
        f.cases = {};
      }),
    ).toBe('cases');
    expect(
      pathOf((f) => {
        f.cases[0].input.shape[1] = -4;
      }),
    ).toBe('cases[0].input.shape[1]');
    expect(
      pathOf((f) => {
        f.cases[0].input.shape[0] = 1.5;
      }),
    ).toBe('cases[0].input.shape[0]');
    expect(
      pathOf((f) => {
        f.cases[0].input.data[2] = 'inf';
      }),
    ).toBe('cases[0].input.data[2]');
    expect(
      pathOf((f) => {
        f.cases[0].input.data = [1];
      }),
    ).toBe('cases[0].input.data');
    expect(
      pathOf((f) => {
        f.cases[0].target.data[1] = 0.5;
      }),
    ).toBe('cases[0].target.data[1]');
    expect(
      pathOf((f) => {
        f.cases[0].dtype = 'float16';
      }),
    ).toBe('cases[0].dtype');
    expect(
      pathOf((f) => {
        f.cases[0].options.reduction = 'avg';
      }),
    ).toBe('cases[0].options.reduction');
    expect(
      pathOf((f) => {
        f.cases[0].options.reduce = 'yes';
      }),
    ).toBe('cases[0].options.reduce');
    expect(
      pathOf((f) => {
        f.cases[0].options.weight = 1;
      }),
    ).toBe('cases[0].options.weight');
    expect(
      pathOf((f) => {
        f.cases[0].grad_outputs = f.cases[0].grad_output;
      }),
    ).toBe('cases[0].grad_outputs');
    expect(
      pathOf((f) => {
        delete f.cases[0].expected.grad_input;
      }),
    ).toBe('cases[0].expected.grad_input');
    expect(
      pathOf((f) => {
        delete f.cases[0].expected.output;
      }),
    ).toBe('cases[0].expected.output');
    expect(
      pathOf((f) => {
        f.cases[0].expected.grad_input.shape = 'x';
      }),
    ).toBe('cases[0].expected.grad_input.shape');
    expect(
      pathOf((f) => {
        f.cases[0].expected = { error: { code: 'bad code' } };
      }),
    ).toBe('cases[0].expected.error.code');
    expect(pathOf((f) => f.cases.push(structuredClone(f.cases[0])))).toBe('cases[1].id');
    expect(
      pathOf((f) => {
        f.cases[0].tags = [1];
      }),
    ).toBe('cases[0].tags[0]');
    expect(() => parseGoldenFile('{not json', 'broken.json')).toThrow(/broken\.json: \$: not JSON/);
  });

  it('lets only error cases hold an invalid reduction or data that does not fit its shape', () => {
    const error = {
      ...CASE,
      options: { reduction: 'avg' },
      input: { shape: [2, 3], data: [1, 2] },
      expected: { error: { code: 'INVALID_REDUCTION' } },
    };
    const { grad_output: _unused, ...withoutGrad } = error;
    const parsed = parseGoldenFile({ ...FILE, cases: [withoutGrad] });
    expect(parsed.cases[0]!.expected).toEqual({ kind: 'error', code: 'INVALID_REDUCTION' });
    expect(parsed.cases[0]!.input.data.length).toBe(2);
  });

  it('reads every built-in fixture file', async () => {
    const files = await loadGoldenFiles(builtinFixturePaths());
    expect(files.map((f) => f.cases.length).every((n) => n > 0)).toBe(true);
    expect(files.find((f) => f.source.endsWith('edge-cases.json'))?.generator.name).toBe('hand');
    for (const file of files.filter((f) => f.generator.name === 'pytorch')) {
      expect(file.generator).toMatchObject({ script: 'conformance/scripts/generate_fixtures.py' });
      expect(file.generator.version).toMatch(/^1\.13/);
    }
  });
});
