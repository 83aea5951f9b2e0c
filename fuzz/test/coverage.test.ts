import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CORRUPTIONS } from '../src/CallRecipe.js';
import { fuzzSettings } from '../src/fuzzSettings.js';
import { groupRecipeArbitrary, THREADED_ELEMENTS } from '../src/recipeArbitrary.js';

describe("a sample of the CI run's size and seed", () => {
  const settings = fuzzSettings({});
  const groups = fc.sample(groupRecipeArbitrary('backend'), { seed: settings.seed, numRuns: settings.runs });
  const calls = groups.flatMap((g) => g.calls);

  test('cover ranks, empty batches, both dtypes, every storage, overlap, rewrites and the threaded size', () => {
    expect(new Set(calls.map((c) => c.rank))).toEqual(new Set([0, 1, 2]));
    expect(calls.some((c) => c.rank === 2 && c.batch === 0)).toBe(true);
    expect(new Set(calls.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    expect(new Set(calls.flatMap((c) => Object.values(c.storage)))).toEqual(
      new Set(['own', 'shared', 'offset', 'subarray', 'sharedOffset']),
    );
    expect(groups.some((g) => g.calls.length > 1)).toBe(true);
    expect(calls.some((c) => c.rewrite)).toBe(true);
    expect(calls.some((c) => c.batch * c.classes >= THREADED_ELEMENTS)).toBe(true);
    expect(calls.some((c) => c.maxTargets > 8)).toBe(true);
  });

  test('break the calls in many ways: most corruptions appear, and clean calls too', () => {
    const seen = new Set(calls.flatMap((c) => c.corruptions));
    expect(seen.size).toBeGreaterThan(CORRUPTIONS.length / 2);
    expect(calls.filter((c) => c.corruptions.length === 0).length).toBeGreaterThan(calls.length / 4);
  });
});
