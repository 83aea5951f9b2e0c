import { describe, expect, it } from 'vitest';
import { callsPerSample, MIN_SAMPLE_MS, timeTask, timingFor } from '../src/timeTask.js';

/** Spins for `us` microseconds. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {}
}

describe('timeTask', () => {
  it('times calls shorter than MIN_SAMPLE_MS in batches, calls as long one by one', async () => {
    // A clock that each call moves on by a set time: no dependence on this machine's speed.
    const clocked = (callMs: number, firstMs = callMs) => {
      let time = 0;
      let calls = 0;
      return {
        now: () => time,
        fn: () => {
          time += calls++ === 0 ? firstMs : callMs;
        },
      };
    };
    const fast = clocked(0.001);
    expect(await callsPerSample(fast.fn, false, fast.now)).toBe(Math.ceil(MIN_SAMPLE_MS / 0.001));
    const fastAsync = clocked(0.004);
    expect(await callsPerSample(async () => fastAsync.fn(), true, fastAsync.now)).toBe(5);
    const slow = clocked(MIN_SAMPLE_MS * 2);
    expect(await callsPerSample(slow.fn, false, slow.now)).toBe(1);
    // A first call of 1 ms or more (however cold) settles it without a pilot.
    const coldFirst = clocked(0.001, 1);
    expect(await callsPerSample(coldFirst.fn, false, coldFirst.now)).toBe(1);
    const tiny = clocked(0);
    expect(await callsPerSample(tiny.fn, false, tiny.now)).toBe(10_000);
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
