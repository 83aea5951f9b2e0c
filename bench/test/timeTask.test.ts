import { describe, expect, it } from 'vitest';
import { callsPerSample, MIN_SAMPLE_MS, timeTask, timingFor } from '../src/timeTask.js';

/** Spins for `us` microseconds. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {}
}

describe('timeTask', () => {
  it('times calls shorter than MIN_SAMPLE_MS in batches, calls as long one by one', async () => {
    expect(await callsPerSample(() => spin(1), false)).toBeGreaterThan(1);
    expect(await callsPerSample(async () => spin(1), true)).toBeGreaterThan(1);
    expect(await callsPerSample(() => spin(MIN_SAMPLE_MS * 1000 * 2), false)).toBe(1);
  });

  it("reports a batched task's statistics per call, and counts its calls", async () => {
    let calls = 0;
    const stats = await timeTask(
      'spin 4 us',
      () => {
        calls++;
        spin(4);
      },
      timingFor(60, 5),
      false,
    );
    // Per call: a sample of a batch lasts at least MIN_SAMPLE_MS.
    expect(stats.medianMs).toBeGreaterThanOrEqual(0.004);
    expect(stats.medianMs).toBeLessThan(MIN_SAMPLE_MS);
    expect(stats.minMs).toBeGreaterThanOrEqual(0.004);
    // Every measured call is counted (more calls ran: the pilot and the warm-up).
    expect(stats.samples).toBeGreaterThan(100);
    expect(calls).toBeGreaterThan(stats.samples);
  });

  it('makes no pilot calls when the options ask for no warm-up (slow tasks: each call is costly)', async () => {
    let calls = 0;
    const stats = await timeTask(
      'counted',
      () => {
        calls++;
      },
      { timeMs: 5, minIterations: 3, warmupMs: 0, warmupIterations: 0 },
      false,
    );
    expect(calls).toBe(stats.samples);
  });
});
