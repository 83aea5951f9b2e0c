import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../src/BenchReport.js';
import { generateData } from '../src/generateData.js';
import {
  createJsReadPass,
  declaredReadPasses,
  loadReadPass,
  readPassFor,
  readPassKey,
} from '../src/readPass.js';
import { defaultResultsDir, isInstalledPackage, linkRoot } from '../src/resultsLocation.js';
import { withRatios } from '../src/runBench.js';
import { selectShapes, TIE_SHAPES } from '../src/shapes.js';

describe('read passes a backend declares', () => {
  it('built-ins keep their platform, undeclared backends get the JS loop, declarations win', () => {
    expect(readPassFor('wasm')).toBe('wasm');
    expect(readPassFor('wasm-1t')).toBe('wasm');
    expect(readPassFor('webgpu')).toBe('webgpu');
    expect(readPassFor('mine')).toBe('js');
    expect(readPassFor('mine', { mine: 'wasm' })).toBe('wasm');
    const own = () => createJsReadPass();
    expect(readPassKey('mine', readPassFor('mine', { mine: own }))).toBe('mine');
  });

  it('collects benchReadPasses from imported modules and rejects a bad declaration', () => {
    const own = () => createJsReadPass();
    expect(
      declaredReadPasses([{}, { benchReadPasses: { a: 'wasm' } }, { benchReadPasses: { b: own } }]),
    ).toEqual({
      a: 'wasm',
      b: own,
    });
    expect(() => declaredReadPasses([{ benchReadPasses: { a: 'gpu' } }])).toThrow(
      /must be 'js', 'wasm', 'webgpu'/,
    );
    expect(() => declaredReadPasses([{ benchReadPasses: 3 }])).toThrow(/must be an object/);
  });

  it('loads a backend-supplied read pass, and the wasm one from @mlml/wasm/read-pass', async () => {
    const own = await loadReadPass(() => ({ run: () => 42, dispose() {} }));
    expect('run' in own && (await own.run(new Float32Array(1), new Int32Array(1)))).toBe(42);
    const wasm = await loadReadPass('wasm');
    expect('run' in wasm, JSON.stringify(wasm)).toBe(true);
    if ('run' in wasm) {
      expect(await wasm.run(new Float32Array([1, 2]), new Int32Array([3, -1]))).toBe(5);
      await wasm.dispose();
    }
  });

  it("computes a backend's vs-read ratio against the read pass it declared", () => {
    const row = (
      implementation: string,
      kind: BenchResult['kind'],
      mode: BenchResult['mode'],
      medianMs: number,
    ) => ({ implementation, kind, mode, medianMs }) as BenchResult;
    const results = [
      row('mine', 'backend', 'forward', 4),
      row('read-pass:wasm', 'read-pass', 'read', 1),
      row('read-pass:js', 'read-pass', 'read', 2),
    ];
    expect(withRatios(results)[0]).toMatchObject({ readPass: 'read-pass:js', readPassFraction: 0.5 });
    expect(withRatios(results, { mine: 'wasm' })[0]).toMatchObject({
      readPass: 'read-pass:wasm',
      readPassFraction: 0.25,
    });
  });
});

describe('tie-heavy cases', () => {
  it('are selected by `ties` and draw the values they are named for, with the same targets as uniform data', () => {
    expect(selectShapes(['ties'], false).map((s) => s.id)).toEqual(TIE_SHAPES.map((s) => s.id));
    const [equal, two, ints] = TIE_SHAPES.map((shape) => generateData(shape, 'float32'));
    expect(new Set(equal!.input.data)).toEqual(new Set([0.5]));
    expect(new Set(two!.input.data)).toEqual(new Set([0.25, 0.75]));
    expect(new Set(ints!.input.data)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    const uniform = generateData(selectShapes(['many-classes'], false)[0]!, 'float32');
    for (const data of [equal!, two!, ints!]) {
      expect(data.target.data.every((t, i) => t === uniform.target.data[i])).toBe(true);
    }
  });
});

describe('where results go', () => {
  it('bench/results in the repository, ./mlml-bench-results in the current directory when installed', () => {
    const repo = 'file:///work/repo/bench/dist/runBench.js';
    const installed = 'file:///home/me/project/node_modules/@mlml/bench/dist/runBench.js';
    expect(isInstalledPackage(repo)).toBe(false);
    expect(isInstalledPackage(installed)).toBe(true);
    expect(defaultResultsDir(repo, '/somewhere').href).toBe('file:///work/repo/bench/results/');
    expect(defaultResultsDir(installed, '/home/me/project').href).toBe(
      'file:///home/me/project/mlml-bench-results/',
    );
    expect(linkRoot(installed, '/home/me/project')).toBe('/home/me/project');
    expect(linkRoot(repo)).toBe('/work/repo/');
  });
});
