import { describe, expect, it } from 'vitest';
import { chooseBetween } from '../src/ThreadPolicy.js';

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
