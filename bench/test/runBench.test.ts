import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/BenchReport.js';
import { combineRounds, runBench } from '../src/runBench.js';

describe('runBench', () => {
  it('checks, times and reports the reference, the JS read pass and TF.js on a small run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlml-bench-run-'));
    const lines: string[] = [];
    const printed: string[] = [];
    try {
      const report = await runBench({
        backends: ['reference'],
        peers: ['tfjs-cpu'],
        shapes: ['small', 'sweep-classes'],
        quick: true,
        timeMs: 5,
        jsonPath: join(dir, 'latest.json'),
        log: (line) => lines.push(line),
        print: (text) => printed.push(text),
      });
      // small in float32 and float64, three sweep points; tfjs has no float64.
      const cases = new Set(report.results.map((r) => `${r.shape}/${r.dtype}`));
      expect(cases.size).toBe(5);
      const small = report.results.filter((r) => r.shape === 'small' && r.dtype === 'float32');
      expect(small.map((r) => `${r.implementation} ${r.mode}`)).toEqual([
        'reference forward',
        'reference forward-backward',
        'tfjs-cpu forward',
        'tfjs-cpu forward-backward',
        'read-pass:js read',
      ]);
      const reference = small[0]!;
      expect(reference.readPass).toBe('read-pass:js');
      expect(reference.readPassFraction).toBeGreaterThan(0);
      expect(reference.speedupVsTorch).toBeNull();
      expect(reference.agreement?.output).toBeLessThan(1e-6);
      expect(report.skipped).toContainEqual(
        expect.objectContaining({ shape: 'small', dtype: 'float64', implementation: 'tfjs-cpu' }),
      );
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(lines.some((line) => /^\[1\/\d+, \d+ left\] small float32 forward reference: /.test(line))).toBe(
        true,
      );
      expect(printed[0]).toContain('vs torch');
      const saved = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')) as BenchReport;
      expect(saved.results).toHaveLength(report.results.length);
      // No PyTorch in this run: no speed-up chart, but the sweep chart.
      expect((await readdir(dir)).sort()).toEqual(['README-snippet.md', 'latest.json', 'sweep-classes.svg']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs every task of a case once per round, in turn, and keeps the median of the rounds', async () => {
    const lines: string[] = [];
    const report = await runBench({
      backends: ['reference'],
      peers: [],
      shapes: ['small'],
      quick: true,
      timeMs: 6,
      rounds: 3,
      jsonPath: null,
      log: (line) => lines.push(line),
      print: () => {},
    });
    expect(report.settings.rounds).toBe(3);
    for (const result of report.results) {
      expect(result.roundMediansMs).toHaveLength(3);
      expect(result.medianMs).toBe([...result.roundMediansMs].sort((a, b) => a - b)[1]);
    }
    // In turn: round 1 of every task, then round 2 of every task...
    const order = lines
      .filter((line) => / small float32 .*\(round \d\/3\)/.test(line))
      .map((line) => /round (\d)/.exec(line)![1]);
    expect(order).toEqual(['1', '1', '1', '2', '2', '2', '3', '3', '3']);
  });
});

describe('combineRounds', () => {
  it('takes the median of the medians, the overall mean and minimum, and counts every call', () => {
    const round = (medianMs: number, meanMs: number, minMs: number, samples: number) => ({
      medianMs,
      meanMs,
      minMs,
      rme: medianMs,
      samples,
    });
    const combined = combineRounds([round(3, 3, 2, 10), round(1, 1, 0.5, 30), round(2, 2, 1, 10)]);
    expect(combined).toEqual({
      medianMs: 2,
      meanMs: (30 + 30 + 20) / 50,
      minMs: 0.5,
      rme: 3,
      samples: 50,
      roundMediansMs: [3, 1, 2],
    });
    expect(combineRounds([round(4, 4, 4, 1), round(2, 2, 2, 1)]).medianMs).toBe(3);
  });
});
