import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport, BenchResult } from '../src/BenchReport.js';
import { renderSvg, speedupChartSpec, sweepChartSpec } from '../src/charts.js';
import { renderMarkdownSnippet } from '../src/markdownSnippet.js';
import { withRatios } from '../src/runBench.js';
import { GRID_SHAPES, sweepClassesShapes } from '../src/shapes.js';
import { writeOutputs } from '../src/writeOutputs.js';

function result(
  shape: (typeof GRID_SHAPES)[number],
  implementation: string,
  kind: BenchResult['kind'],
  mode: BenchResult['mode'],
  medianMs: number,
): BenchResult {
  return {
    shape: shape.id,
    label: shape.label,
    group: shape.group,
    batch: shape.batch,
    classes: shape.classes,
    targets: shape.targets,
    dtype: 'float32',
    mode,
    implementation,
    kind,
    medianMs,
    meanMs: medianMs,
    minMs: medianMs,
    rme: 1,
    samples: 10,
    roundMediansMs: [medianMs],
    elementsPerSecond: 1,
    speedupVsTorch: null,
    readPass: null,
    readPassFraction: null,
    agreement: null,
  };
}

function syntheticReport(): BenchReport {
  const results: BenchResult[] = [];
  for (const [index, shape] of [GRID_SHAPES[0]!, GRID_SHAPES[1]!, ...sweepClassesShapes(true)].entries()) {
    const caseRows = [
      result(shape, 'wasm', 'backend', 'forward', 1 + index),
      result(shape, 'wasm', 'backend', 'forward-backward', 2 + index),
      result(shape, 'torch', 'peer', 'forward', 30 + index),
      result(shape, 'torch', 'peer', 'forward-backward', 60 + index),
      result(shape, 'tfjs-cpu', 'peer', 'forward', 900),
      result(shape, 'read-pass:wasm', 'read-pass', 'read', 0.5),
    ];
    results.push(...withRatios(caseRows));
  }
  return {
    format: 'mlml-bench-v1',
    date: '2026-11-29T04:00:00.000Z',
    durationSeconds: 1,
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      os: 'linux x64',
      node: 'v20.0.0',
      v8: '11',
      loadAverage: [0, 0, 0],
      torch: '1.13.1',
      torchDefaultThreads: 1,
      tfjs: '4.22.0',
      vulkanIcd: '/usr/lib/chromium/vk_swiftshader_icd.json',
    },
    settings: {
      quick: true,
      timeMs: 10,
      minIterations: 3,
      rounds: 1,
      seed: 1,
      shapes: [],
      tfjsMaxBroadcast: 1,
      reduction: 'mean',
    },
    implementations: [{ name: 'webgpu', kind: 'backend', available: false, reason: 'no adapter' }],
    results,
    skipped: [],
  };
}

describe('ratios', () => {
  it('computes the speed-up over PyTorch and the fraction of the read-pass limit', () => {
    const wasm = syntheticReport().results.find((r) => r.implementation === 'wasm' && r.shape === 'typical');
    expect(wasm?.speedupVsTorch).toBeCloseTo(31 / 2);
    expect(wasm?.readPass).toBe('read-pass:wasm');
    expect(wasm?.readPassFraction).toBeCloseTo(0.5 / 2);
  });
});

describe('charts', () => {
  it('renders the speed-up bars to SVG with the shapes, implementations and axis title', async () => {
    const spec = speedupChartSpec(syntheticReport());
    expect(spec).toBeDefined();
    const svg = await renderSvg(spec!);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of [
      'speed-up over PyTorch (×)',
      'typical',
      'small',
      'wasm',
      'tfjs-cpu',
      'forward-backward',
    ]) {
      expect(svg).toContain(label);
    }
    expect(svg).not.toContain('C=256');
  });

  it('renders the sweep lines to SVG on log axes', async () => {
    const spec = sweepChartSpec(syntheticReport(), 'sweep-classes');
    const svg = await renderSvg(spec!);
    expect(svg).toContain('C (classes)');
    expect(svg).toContain('median time (ms)');
    expect(svg).toContain('read-pass:wasm');
    expect(JSON.stringify(spec)).toContain('"type":"log"');
    expect(sweepChartSpec(syntheticReport(), 'sweep-targets')).toBeUndefined();
  });

  it('writes the JSON, the SVGs and a markdown snippet with table, date, machine and chart links', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlml-bench-test-'));
    try {
      const written = await writeOutputs(syntheticReport(), { jsonPath: join(dir, 'r.json') });
      expect((await readdir(dir)).sort()).toEqual([
        'README-snippet.md',
        'r.json',
        'speedup.svg',
        'sweep-classes.svg',
      ]);
      expect(written).toHaveLength(4);
      const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as BenchReport;
      expect(json.format).toBe('mlml-bench-v1');
      const snippet = await readFile(join(dir, 'README-snippet.md'), 'utf8');
      expect(snippet).toContain('2026-11-29');
      expect(snippet).toContain('Test CPU');
      expect(snippet).toContain(
        '| typical (1024×1000, J=5) | wasm | 2.00 ms | 15.5× | 25% | 3.00 ms | 20.3× |',
      );
      expect(snippet).toMatch(/!\[speedup\]\(.*speedup\.svg\)/);
      expect(snippet).toContain('not in this run: **webgpu**: no adapter');
      expect(snippet).not.toContain('SwiftShader');
      expect(renderMarkdownSnippet(syntheticReport())).not.toContain('![');
      expect(snippet).toContain('median of the calls made in 10 ms per task');
      const rounds = syntheticReport();
      const inRounds = { ...rounds, settings: { ...rounds.settings, rounds: 3 } };
      expect(renderMarkdownSnippet(inRounds)).toContain(
        "10 ms per task in 3 rounds, every task of a case in turn, and the median of the rounds' medians",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
