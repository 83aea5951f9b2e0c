import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  describeRow,
  fusedLossDifference,
  GoldenFormatError,
  makeSeededProblem,
  parseGoldenFile,
  parseLargeGoldenFile,
  withRowContext,
} from '../src/index.ts';
import { builtinFixturePaths, loadBuiltinLargeGoldenFiles, loadGoldenFiles } from '../src/node.ts';

const CASE = {
  id: 'a/b',
  dtype: 'float32',
  input: { shape: [1, 4], data: [0.1, 0.2, 0.4, 0.8] },
  target: { shape: [1, 4], data: [3, 0, -1, 1] },
  options: { reduction: 'sum' },
  grad_output: { shape: [], data: [1] },
  expected: {
    output: { shape: [], data: [0.85] },
    grad_input: { shape: [1, 4], data: [-0.5, 0.5, 0.5, -0.5] },
    exact: {
      output: { shape: [], data: [0.84999996] },
      grad_input: { shape: [1, 4], data: [-0.5, 0.5, 0.5, -0.5] },
    },
  },
};
const file = (c: unknown) => ({ format: 'mlml-golden-v1', generator: { name: 'x' }, cases: [c] });

describe('expected.exact', () => {
  it('is decoded beside the PyTorch values', () => {
    const parsed = parseGoldenFile(file(CASE));
    const expected = parsed.cases[0]!.expected;
    expect(expected.kind).toBe('values');
    if (expected.kind !== 'values') return;
    expect(expected.output.data[0]).toBe(Math.fround(0.85));
    expect(expected.exact?.output.data[0]).toBe(Math.fround(0.84999996));
    expect(expected.exact?.gradInput?.data).toBeInstanceOf(Float32Array);
  });

  it('must give a gradient exactly when the case has grad_output', () => {
    const noGrad = structuredClone(CASE);
    delete (noGrad.expected.exact as { grad_input?: unknown }).grad_input;
    expect(() => parseGoldenFile(file(noGrad))).toThrow(GoldenFormatError);
    expect(() => parseGoldenFile(file(noGrad))).toThrow(/expected\.exact\.grad_input/);
    const extra = structuredClone(CASE) as { expected: { exact: Record<string, unknown> } };
    extra.expected.exact.loss = 1;
    expect(() => parseGoldenFile(file(extra))).toThrow(/expected\.exact\.loss/);
  });

  it('is in every value case of every built-in golden file', async () => {
    const files = await loadGoldenFiles(builtinFixturePaths());
    for (const f of files) {
      for (const c of f.cases) {
        if (c.expected.kind === 'values') expect(c.expected.exact, `${f.source} ${c.id}`).toBeDefined();
      }
    }
  });

  it('records the PyTorch build that made the goldens', async () => {
    const files = await loadGoldenFiles(builtinFixturePaths());
    const pytorch = files.filter((f) => f.generator.name === 'pytorch');
    expect(pytorch.length).toBeGreaterThan(0);
    for (const f of pytorch) {
      expect(f.generator.build?.torch_version).toBe(f.generator.version);
      expect(f.generator.build?.package).toMatch(/^python3-torch 1\.13\.1/);
      expect(typeof f.generator.build?.git_version).toBe('string');
    }
  });
});

describe('the large golden problems', () => {
  it('are generated here bit for bit as the Python generator made them', async () => {
    const [large] = await loadBuiltinLargeGoldenFiles();
    expect(large!.cases.length).toBeGreaterThanOrEqual(12);
    for (const c of large!.cases) {
      const { input, target } = makeSeededProblem(c.recipe, c.dtype);
      const sha = (a: ArrayBufferView) =>
        createHash('sha256')
          .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
          .digest('hex');
      expect(c.sha256, c.id).toBeDefined();
      expect(sha(input.data), `${c.id} input`).toBe(c.sha256?.input);
      expect(sha(target.data), `${c.id} target`).toBe(c.sha256?.target);
    }
  });

  it('go past every splitting point: >= 300,000 elements, C >= 10,000 with J from 9 to 1,000', async () => {
    const [large] = await loadBuiltinLargeGoldenFiles();
    const reductions = new Set(large!.cases.map((c) => c.reduction));
    expect([...reductions].sort()).toEqual(['mean', 'none', 'sum']);
    for (const c of large!.cases) expect(c.recipe.batch * c.recipe.classes).toBeGreaterThanOrEqual(300_000);
    const wide = large!.cases.filter((c) => c.recipe.classes >= 10_000);
    expect(wide.length).toBeGreaterThan(0);
    for (const c of wide) {
      const { targetCounts } = makeSeededProblem(c.recipe, c.dtype);
      expect(Math.min(...targetCounts)).toBe(9);
      expect(Math.max(...targetCounts)).toBe(1000);
    }
  });

  it('refuse a malformed file with the JSON path', () => {
    const bad = {
      format: 'mlml-golden-large-v1',
      generator: { name: 'x' },
      problems: [{ id: 'p', dtype: 'float16' }],
    };
    expect(() => parseLargeGoldenFile(bad, 'big.json')).toThrow(/big\.json: problems\[0\]\.dtype/);
  });
});

describe('fusedLossDifference', () => {
  const t = (...v: number[]) => ({ data: Float64Array.from(v), shape: [v.length] });
  it('accepts equal bits (NaN meets NaN) and names the first different value', () => {
    expect(fusedLossDifference('fb', t(1, Number.NaN), t(1, Number.NaN))).toBeUndefined();
    expect(fusedLossDifference('fb', t(1, 2), t(1, 2 + 2 ** -51))?.index).toBe(1);
    expect(fusedLossDifference('fb', t(0), t(-0))?.message).toMatch(/bit for bit/);
  });
});

describe('failure context', () => {
  const input = { data: Float32Array.from({ length: 60 }, (_, i) => i / 4), shape: [2, 30] };
  const target = {
    data: Int32Array.from({ length: 60 }, (_, i) => (i % 30 < 3 ? i % 30 : -1)),
    shape: [2, 30],
  };
  it('shows the offending row of input and target, trimmed, around the column', () => {
    const text = describeRow({ input, target }, 1, 15) ?? '';
    expect(text).toMatch(/^input\[1\] = \[7\.5, 7\.75, .*…, 10.75, 11, 11.25.*\] \(C = 30\)/);
    expect(text).toMatch(/target\[1\] = \[0, 1, 2, -1, .*\] \(J = 3\)/);
    expect(text).toMatch(/input\[1\]\[15\] = 11\.25/);
  });
  it('is attached to gradient differences and per-sample losses, not to a reduced loss', () => {
    const d = { call: 'backward', tensor: 'grad_input' as const, message: 'm', index: 45 };
    expect(withRowContext(d, { input, target, options: {} }).context).toMatch(/input\[1\]/);
    const o = { call: 'forward', tensor: 'output' as const, message: 'm', index: 1 };
    expect(withRowContext(o, { input, target, options: { reduction: 'none' } }).context).toMatch(
      /target\[1\]/,
    );
    expect(
      withRowContext({ ...o, index: 0 }, { input, target, options: { reduction: 'sum' } }).context,
    ).toBeUndefined();
  });
});
