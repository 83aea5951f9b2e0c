import { describe, expect, it } from 'vitest';
import { createReferenceBackend, runConformance } from '../src/index.ts';

describe('the reference backend', () => {
  it('passes every built-in fixture', async () => {
    const report = await runConformance(createReferenceBackend(), { checkDispose: true });
    const failures = report.cases.filter((c) => c.status === 'failed');
    expect(failures.map((f) => `${f.id}: ${f.reason}`)).toEqual([]);
    expect(report.skipped).toBe(0);
    expect(report.passed).toBeGreaterThan(400);
  });
});
