import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toMatrixResult } from '../src/browser/toMatrixResult.ts';
import { BUILTIN_FIXTURE_FILES } from '../src/builtinFixtures.ts';
import { formatMatrix, runConformanceCommand, runConformanceMatrix, runGoldenCommand } from '../src/cli.ts';
import { builtinFixturePaths, loadBuiltinGoldenFiles, loadBuiltinLargeGoldenFiles } from '../src/node.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

/** The lines of one page's section of the output: from its `== ... ==` title to the next. */
function section(lines: readonly string[], title: RegExp): string[] {
  const start = lines.findIndex((l) => l.startsWith('== ') && title.test(l));
  expect(start, `no section ${title} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  const next = lines.findIndex((l, i) => i > start && l.startsWith('== '));
  return lines.slice(start, next < 0 ? undefined : next);
}

/** The cells of the matrix's `total` row, by backend column. */
function totals(lines: readonly string[]): Record<string, string> {
  const header = lines.find((l) => l.startsWith('group '))!.split(/\s{2,}/);
  const total = lines.find((l) => l.startsWith('total '))!.split(/\s{2,}/);
  return Object.fromEntries(header.slice(1).map((name, i) => [name, total[i + 1]!]));
}

const TIMEOUT = 240_000;

describe('mlml conformance --browser (headless Chromium)', () => {
  it(
    "passes every built-in backend in a plain and in a cross-origin isolated page, with the Node run's case counts",
    async () => {
      const { io, out, err } = capture();
      const code = await runConformanceCommand(['--browser'], io);
      expect(code, [...out, ...err].join('\n')).toBe(0);
      const builtin = [...(await loadBuiltinGoldenFiles()), ...(await loadBuiltinLargeGoldenFiles())];
      const cases = builtin.reduce((n, f) => n + f.cases.length, 0);
      expect(out[0]).toContain(`: ${builtin.length} golden file(s), ${cases} cases;`);
      const plain = section(out, /^== plain page/);
      const isolated = section(out, /^== cross-origin isolated page/);
      for (const page of [plain, isolated]) {
        expect(page).toContain('conformance: PASS');
        expect(Object.keys(totals(page)).sort()).toEqual(['cpu-ts', 'wasm', 'webgpu']);
        expect(page.join('\n')).not.toMatch(/FAIL|UNAVAILABLE/);
      }
      // wasm computes on worker threads only where the page is cross-origin isolated.
      expect(isolated.join('\n')).toMatch(/wasm on [2-9] threads/);
      expect(plain.join('\n')).not.toMatch(/wasm on \d+ threads/);
      expect(out.at(-1)).toBe('conformance --browser: PASS (plain and cross-origin isolated page)');

      // The same suite as Node: the CPU backends' totals match the Node matrix on the same files.
      const node = totals(formatMatrix(await runConformanceMatrix({ backends: ['cpu-ts', 'wasm'] })));
      for (const page of [plain, isolated]) {
        const browser = totals(page);
        expect(browser['cpu-ts']).toBe(node['cpu-ts']);
        expect(browser.wasm).toBe(node.wasm);
      }
    },
    TIMEOUT,
  );

  it(
    'runs the golden files it is given, and fails in both pages when one expects a wrong value',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mlml-browser-fixtures-'));
      const file = join(dir, 'wrong.json');
      await writeFile(
        file,
        JSON.stringify({
          format: 'mlml-golden-v1',
          generator: { name: 'test' },
          cases: [
            {
              id: 'wrong',
              dtype: 'float64',
              input: { shape: [4], data: [0.1, 0.2, 0.4, 0.8] },
              target: { shape: [4], data: [3, 0, -1, 1] },
              options: { reduction: 'sum' },
              expected: { output: { shape: [], data: [0.9] } },
            },
          ],
        }),
      );
      const { io, out } = capture();
      expect(await runConformanceCommand(['--browser', '--backend', 'cpu-ts', '--fixtures', file], io)).toBe(
        1,
      );
      for (const title of [/^== plain page/, /^== cross-origin isolated page/]) {
        const page = section(out, title).join('\n');
        expect(page).toMatch(/wrong\.json\s+0 ok, 1 FAIL/);
        expect(page).toMatch(/output\[0\] is 0\.85/);
      }
      expect(out.at(-1)).toBe('conformance --browser: FAIL (plain and isolated page)');
    },
    TIMEOUT,
  );

  it(
    'mlml run --browser writes the same mlml-results-v1 JSON as mlml run in Node (wasm, bit for bit)',
    async () => {
      const fixture = builtinFixturePaths()[BUILTIN_FIXTURE_FILES.indexOf('pytorch-reference.json')]!;
      const args = ['--backend', 'wasm', '--fixtures', fixture];
      const inBrowser = capture();
      expect(await runGoldenCommand(['--browser', ...args], inBrowser.io), inBrowser.err.join('\n')).toBe(0);
      const inNode = capture();
      expect(await runGoldenCommand(args, inNode.io)).toBe(0);
      const results = JSON.parse(inBrowser.out.join('\n')) as { format: string; cases: unknown[] };
      expect(results.format).toBe('mlml-results-v1');
      expect(results.cases.length).toBeGreaterThan(10);
      expect(inBrowser.out.join('\n')).toBe(inNode.out.join('\n'));
    },
    TIMEOUT,
  );

  it('exits 1 saying why when the browser cannot start', async () => {
    const saved = process.env.MLML_CHROMIUM;
    process.env.MLML_CHROMIUM = '/nonexistent/chromium';
    try {
      const { io, err } = capture();
      expect(await runConformanceCommand(['--browser', '--backend', 'cpu-ts'], io)).toBe(1);
      expect(err.join('\n')).toMatch(
        /^mlml conformance --browser: cannot start the browser run: \/nonexistent\/chromium is missing/,
      );
    } finally {
      if (saved === undefined) delete process.env.MLML_CHROMIUM;
      else process.env.MLML_CHROMIUM = saved;
    }
  });

  it('counts a backend that does not initialise in the page (e.g. no WebGPU adapter) as a failure', () => {
    const report = {
      backend: 'cpu-ts',
      passed: 1,
      failed: 0,
      skipped: 0,
      cases: [],
      tolerance: {},
      notes: [],
    };
    const result = toMatrixResult(
      [
        { name: 'cpu-ts', report },
        { name: 'webgpu', unavailable: 'no WebGPU adapter' },
      ],
      ['x.json'],
    );
    expect(result.ok).toBe(false);
    const text = formatMatrix(result).join('\n');
    expect(text).toContain("FAILED: backend 'webgpu' did not initialise: no WebGPU adapter");
    expect(text).toMatch(/conformance: FAIL .*a named backend unavailable/);
    expect(toMatrixResult([{ name: 'cpu-ts', report }], ['x.json']).ok).toBe(true);
  });

  it('rejects bad arguments with exit code 2 before starting a browser', async () => {
    const { io, err } = capture();
    expect(await runConformanceCommand(['--browser', '--backend', 'nope'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/mlml conformance: unknown backend 'nope'/);
    const run = capture();
    expect(await runGoldenCommand(['--browser', '--backend', 'wasm'], run.io)).toBe(2);
    expect(run.err.join('\n')).toMatch(/give --fixtures FILE/);
  });
});
