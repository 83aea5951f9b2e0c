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
import { loadBuiltinGoldenFiles } from '../src/node.ts';
import { BROKEN_BACKENDS } from './brokenBackends.ts';

let fixtures: GoldenFile[] = [];
beforeAll(async () => {
  fixtures = await loadBuiltinGoldenFiles();
});

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
      const report = await runConformance(make(), { fixtures, checkDispose: true });
      expect(report.failed, `no case failed for '${bug}'`).toBeGreaterThan(0);
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

  it('passes the reference, skipping nothing', async () => {
    const report = await runConformance(createReferenceBackend(), { fixtures, checkDispose: true });
    expectClean(report);
    expect(report.skipped).toBe(0);
  });

  it('passes a reference that declares float32 only, and reports the float64 cases as skipped', async () => {
    const backend = new LossBackend(
      'reference-f32',
      { ...REFERENCE_CAPABILITIES, dtypes: ['float32'] },
      referenceKernel,
    );
    const report = await runConformance(backend, { fixtures });
    expectClean(report);
    const float64Values = fixtures
      .flatMap((f) => f.cases)
      .filter((c) => c.dtype === 'float64' && c.expected.kind === 'values');
    expect(report.skipped).toBe(float64Values.length);
    expect(report.cases.find((c) => c.id === 'state/unsupported-float64')?.status).toBe('passed');
  });

  for (const { name } of listBackends()) {
    it(`passes the registered backend '${name}'`, async () => {
      const backend = await createBackend(name);
      try {
        expectClean(await runConformance(backend, { fixtures }));
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
