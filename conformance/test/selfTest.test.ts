import { LossBackend } from '@mlml/core-spec';
import { createBackend, listBackends } from '@mlml/loss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceReport,
  createReferenceBackend,
  type GoldenFile,
  REFERENCE_CAPABILITIES,
  referenceKernel,
  runConformance,
} from '../src/index.ts';
import type { LargeGoldenFile } from '../src/LargeGoldenFile.ts';
import { loadBuiltinGoldenFiles, loadBuiltinLargeGoldenFiles } from '../src/node.ts';
import { BROKEN_BACKENDS } from './brokenBackends.ts';

let fixtures: GoldenFile[] = [];
let large: LargeGoldenFile[] = [];
/** The large batch problems (512 x 1024, float32 and float64): the quick ones for the reference's O(N·J·C) loops. */
let largeBatch: LargeGoldenFile[] = [];
beforeAll(async () => {
  fixtures = await loadBuiltinGoldenFiles();
  large = await loadBuiltinLargeGoldenFiles();
  largeBatch = large.map((file) => ({
    ...file,
    cases: file.cases.filter((c) => c.id.startsWith('large/batch-')),
  }));
});

/**
 * Where each newer bug must be caught, so the self-test shows the check that exists for it does the
 * catching (a case id or a reason matching this).
 */
const CAUGHT_BY: Readonly<Record<string, RegExp>> = {
  'float32 losses 3e-6 too large (relative) while declaring rtol 1e-6': /exact value/,
  'float32 terms summed in float32 (not in double)': /exact value/,
  "fused loss summed in another order than forward's": /bit for bit/,
  "out option ignored (fresh arrays returned, the caller's left alone)": /^state\/out-arrays/,
  "gradient added to the out array's stale contents": /^state\/out-arrays/,
};

/** Bugs only the large golden problems can catch: their reports must fail there and nowhere else. */
const LARGE_ONLY = new Set(['wrong only on problems past 100,000 elements (the last row lost)']);

describe('the suite catches broken backends', () => {
  const caught: string[] = [];
  const bugs = Object.keys(BROKEN_BACKENDS);

  afterAll(() => {
    console.log(`caught ${caught.length}/${bugs.length} broken backends`);
  });

  it('has at least 12 of them', () => {
    expect(bugs.length).toBeGreaterThanOrEqual(12);
  });

  for (const [bug, make] of Object.entries(BROKEN_BACKENDS)) {
    it(`fails a backend with: ${bug}`, async () => {
      // The large problems take the broken kernels' O(N·J·C) loops seconds each: only the bugs that
      // need them run them.
      const report = await runConformance(make(), {
        fixtures,
        largeFixtures: LARGE_ONLY.has(bug) ? largeBatch : [],
        checkDispose: true,
      });
      expect(report.failed, `no case failed for '${bug}'`).toBeGreaterThan(0);
      const failed = report.cases.filter((c) => c.status === 'failed');
      if (LARGE_ONLY.has(bug)) {
        expect(failed.map((c) => c.id).filter((id) => !id.startsWith('large/'))).toEqual([]);
      }
      const where = CAUGHT_BY[bug];
      if (where !== undefined) {
        expect(
          failed.some((c) => where.test(c.id) || where.test(c.reason ?? '')),
          `'${bug}' was not caught by the check for it (${where})`,
        ).toBe(true);
      }
      caught.push(bug);
    });
  }
});

describe('the suite passes real backends', () => {
  const expectClean = (report: ConformanceReport) => {
    const failures = report.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.reason}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(report.passed).toBeGreaterThan(0);
  };

  it('passes the reference, skipping nothing (the large batch problems included; reference.test.ts runs all)', async () => {
    const report = await runConformance(createReferenceBackend(), {
      fixtures,
      largeFixtures: largeBatch,
      checkDispose: true,
    });
    expectClean(report);
    expect(report.skipped).toBe(0);
  });

  it('passes a reference that declares float32 only, and reports the float64 cases as skipped', async () => {
    const backend = new LossBackend(
      'reference-f32',
      { ...REFERENCE_CAPABILITIES, dtypes: ['float32'] },
      referenceKernel,
    );
    const report = await runConformance(backend, { fixtures, largeFixtures: largeBatch });
    expectClean(report);
    const float64Values = fixtures
      .flatMap((f) => f.cases)
      .filter((c) => c.dtype === 'float64' && c.expected.kind === 'values');
    const float64Large = largeBatch.flatMap((f) => f.cases).filter((c) => c.dtype === 'float64');
    expect(report.skipped).toBe(float64Values.length + float64Large.length);
    expect(report.cases.find((c) => c.id === 'state/unsupported-float64')?.status).toBe('passed');
  });

  for (const { name } of listBackends()) {
    it(`passes the registered backend '${name}'`, async () => {
      const backend = await createBackend(name);
      try {
        // backends.test.ts runs the large problems on every registered backend (describeConformance).
        expectClean(await runConformance(backend, { fixtures, largeFixtures: [] }));
      } finally {
        await backend.dispose();
      }
    });
  }
});

describe('a backend that never answers', () => {
  it('fails its cases instead of hanging the suite', async () => {
    const reference = createReferenceBackend();
    const hung = {
      name: 'hung',
      capabilities: reference.capabilities,
      forward: () => new Promise<never>(() => {}),
      backward: reference.backward.bind(reference),
      forwardBackward: reference.forwardBackward.bind(reference),
      dispose: reference.dispose.bind(reference),
    };
    const edge = fixtures.filter((f) => f.source === 'edge-cases.json');
    const report = await runConformance(hung, { fixtures: edge, callTimeoutMs: 20 });
    const failed = report.cases.filter((c) => c.status === 'failed');
    expect(failed.length).toBeGreaterThan(10);
    expect(failed[0]?.reason).toMatch(/did not settle within 20 ms/);
  });
});
