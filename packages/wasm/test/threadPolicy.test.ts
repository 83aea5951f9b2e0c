import { describe, expect, it } from 'vitest';
import { chooseBetween, type Placement, ThreadPolicy } from '../src/ThreadPolicy.js';

describe('ThreadPolicy.chooseBetween', () => {
  it('shares when sharing is typically faster by more than the margin', () => {
    expect(
      chooseBetween({
        here: [2, 2.1, 2, 2.2, 2, 2.1, 2, 2, 2.3],
        shared: [1.1, 1, 1.2, 1, 1.1, 9, 1, 1, 1.1],
      }),
    ).toBe('shared');
  });

  it('stays on one thread when sharing is fast only in some calls (bimodal timings)', () => {
    const here = [2.3, 2.2, 2.4, 2.3, 2.2, 2.5, 2.3, 2.2, 2.4];
    const shared = [1.5, 1.6, 1.5, 12.8, 13.2, 12.9, 13.0, 12.7, 13.1];
    expect(chooseBetween({ here, shared })).toBe('here');
  });

  it('stays on one thread within the 5% margin', () => {
    expect(chooseBetween({ here: [2, 2, 2, 2, 2], shared: [1.95, 1.95, 1.95, 1.95, 1.95] })).toBe('here');
  });
});

describe('ThreadPolicy', () => {
  const shape = { batch: 256, classes: 10_000, gradient: false, dtype: 'float32' } as const;

  /** Runs `calls` calls of `shape` whose placements cost what `cost` says; returns the placements. */
  function drive(policy: ThreadPolicy, calls: number, cost: (p: Placement) => number): Placement[] {
    const placed: Placement[] = [];
    for (let i = 0; i < calls; i++) {
      const placement = policy.place(shape, true);
      policy.record(shape, placement, cost(placement));
      placed.push(placement);
    }
    return placed;
  }

  it('shares a size class where sharing is faster, and stays alone where it is not', () => {
    const sharing = new ThreadPolicy();
    expect(drive(sharing, 200, (p) => (p === 'shared' ? 1 : 2)).slice(-50)).toContain('shared');
    expect(
      drive(sharing, 50, (p) => (p === 'shared' ? 1 : 2)).filter((p) => p === 'here').length,
    ).toBeLessThan(5);
    const alone = new ThreadPolicy();
    expect(
      drive(alone, 200, (p) => (p === 'shared' ? 2.05 : 2))
        .slice(-50)
        .filter((p) => p === 'shared').length,
    ).toBeLessThan(5);
  });

  it('changes its answer soon after the costs change, from fresh timings of the losing placement', () => {
    const policy = new ThreadPolicy();
    // Sharing wins at first (say, a busy-free machine and costly data) ...
    drive(policy, 300, (p) => (p === 'shared' ? 3 : 4));
    // ... then the same shapes get cheaper alone than shared (other data): within the next re-checks
    // (the interval has grown while sharing kept winning), the class must move to one thread.
    const after = drive(policy, 1200, (p) => (p === 'shared' ? 2.3 : 2));
    expect(after.slice(-100).filter((p) => p === 'shared').length).toBeLessThan(10);
  });
});
