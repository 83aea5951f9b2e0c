import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConformanceCommand, runGoldenCommand } from '../src/cli.ts';
import { readBoundedText } from '../src/readBoundedText.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const TINY = {
  format: 'mlml-golden-v1',
  generator: { name: 'someone-else' },
  cases: [
    {
      id: 'mine',
      dtype: 'float64',
      input: { shape: [4], data: [0.1, 0.2, 0.4, 0.8] },
      target: { shape: [4], data: [3, 0, -1, 1] },
      options: { reduction: 'sum' },
      grad_output: { shape: [], data: [1] },
      expected: {
        output: { shape: [], data: [0.85] },
        grad_input: { shape: [4], data: [-0.5, 0.5, 0.5, -0.5] },
      },
    },
  ],
};

async function tempFile(name: string, content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlml-conformance-'));
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('mlml conformance', () => {
  it('prints a matrix and passes cpu-ts on a third-party file', async () => {
    const file = await tempFile('theirs.json', TINY);
    const { io, out, err } = capture();
    const code = await runConformanceCommand(['--backend', 'cpu-ts', '--fixtures', file], io);
    expect(err).toEqual([]);
    expect(code, out.join('\n')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/group\s+cpu-ts/);
    expect(text).toMatch(/theirs\.json\s+1 ok/);
    expect(text).toContain('conformance: PASS');
    // Every backend's tolerances are printed.
    expect(text).toMatch(
      /cpu-ts: held to the exact values within float32 rtol \S+ atol \S+ \(\+ rtol 0\.000002 against PyTorch\)/,
    );
  });

  it('takes a large golden file (seeded problems) by its format, and mlml run refuses one', async () => {
    const large = {
      format: 'mlml-golden-large-v1',
      generator: { name: 'someone-else' },
      problems: [
        {
          id: 'large/tiny/sum/float64',
          dtype: 'float64',
          recipe: { batch: 2, classes: 3, seed: 1, values: 'ties', targets: [1] },
          options: { reduction: 'sum' },
          expected: {
            output: { shape: [], data: [0] },
            grad_input: {
              shape: [2, 3],
              counts: { row_weighted: [0, 0], squared: 0, nonzero: 0 },
              samples: { index: [], data: [] },
            },
            exact: { output: { shape: [], data: [0] }, grad_input: { samples: { index: [], data: [] } } },
          },
        },
      ],
    };
    const file = await tempFile('large.json', large);
    const { io, out } = capture();
    // The recipe gives a nonzero loss, so the zeros above must fail, in the large group.
    expect(await runConformanceCommand(['--backend', 'cpu-ts', '--fixtures', file], io)).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/large\s+0 ok, 1 FAIL/);
    expect(text).toMatch(/exact value 0/);
    const run = capture();
    expect(await runGoldenCommand(['--backend', 'cpu-ts', '--fixtures', file], run.io)).toBe(2);
    expect(run.err.join('\n')).toMatch(/large golden file/);
  });

  it('exits 1 and shows the difference when a file expects something else', async () => {
    const wrong = structuredClone(TINY);
    wrong.cases[0]!.expected.output.data = [0.9];
    const file = await tempFile('wrong.json', wrong);
    const { io, out } = capture();
    expect(await runConformanceCommand([`--backend=cpu-ts`, `--fixtures=${file}`], io)).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/1 FAIL/);
    expect(text).toMatch(/forward output at index 0: output\[0\] is 0\.85/);
  });

  it('exits 2 with one line on bad arguments, unknown backends and malformed files', async () => {
    const bad = await tempFile('bad.json', {
      ...TINY,
      cases: [{ ...TINY.cases[0], input: { shape: [-4], data: [] } }],
    });
    for (const args of [
      ['--frobnicate'],
      ['--backend'],
      ['--backend', 'nope'],
      ['--fixtures', bad],
      ['--fixtures', '/no/such/file.json'],
      ['--fixtures', '/dev/zero'],
    ]) {
      const { io, err } = capture();
      expect(await runConformanceCommand(args, io), args.join(' ')).toBe(2);
      expect(err).toHaveLength(1);
    }
    const { io, err } = capture();
    await runConformanceCommand(['--backend', 'cpu-ts', '--fixtures', bad], io);
    expect(err[0]).toContain('cases[0].input.shape[0]');
  });

  it('counts an explicitly named backend that does not initialise as a failure', async () => {
    const file = await tempFile('theirs.json', TINY);
    const { registerBackend, unregisterBackend } = await import('@mlml/core-spec');
    registerBackend('broken-init', () => Promise.reject(new Error('no adapter here')));
    try {
      const named = capture();
      expect(
        await runConformanceCommand(['--backend', 'cpu-ts,broken-init', '--fixtures', file], named.io),
      ).toBe(1);
      expect(named.out.join('\n')).toContain(
        "FAILED: backend 'broken-init' did not initialise: no adapter here",
      );
    } finally {
      unregisterBackend('broken-init');
    }
  });
});

describe('mlml run', () => {
  it('writes mlml-results-v1 with values and errors', async () => {
    const withError = structuredClone(TINY) as { cases: unknown[] };
    withError.cases.push({
      id: 'refused',
      dtype: 'float32',
      input: { shape: [2], data: [0, 1] },
      target: { shape: [2], data: [5, -1] },
      expected: { error: { code: 'TARGET_OUT_OF_RANGE' } },
    });
    const file = await tempFile('run.json', { ...TINY, cases: withError.cases });
    const { io, out } = capture();
    expect(await runGoldenCommand(['--backend', 'cpu-ts', '--fixtures', file], io)).toBe(0);
    const results = JSON.parse(out.join(''));
    expect(results.format).toBe('mlml-results-v1');
    expect(results.backend).toBe('cpu-ts');
    expect(results.cases[0].id).toBe('mine');
    expect(results.cases[0].output.data[0]).toBeCloseTo(0.85, 12);
    expect(results.cases[0].grad_input.data).toEqual([-0.5, 0.5, 0.5, -0.5]);
    expect(results.cases[1].error.code).toBe('TARGET_OUT_OF_RANGE');
  });
});

describe('golden files are read with a bound', () => {
  it('stops an endless stream at the limit and refuses a larger regular file at once', async () => {
    await expect(readBoundedText('/dev/zero', 1 << 20)).rejects.toMatchObject({ code: 'EFBIG' });
    const file = await tempFile('big.json', 'x'.repeat(2048));
    await expect(readBoundedText(file, 1024)).rejects.toMatchObject({ code: 'EFBIG' });
    expect(await readBoundedText(file, 4096)).toHaveLength(2048);
  });

  it('mlml run --fixtures /dev/zero is one line and exit 2', async () => {
    const { io, err } = capture();
    expect(await runGoldenCommand(['--backend', 'cpu-ts', '--fixtures', '/dev/zero'], io)).toBe(2);
    expect(err).toHaveLength(1);
  });
});
