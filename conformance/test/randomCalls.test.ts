import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RandomCall, randomCallArbitrary } from '../src/index.ts';

/** What fraction of calls have each feature the property tests promise to cover. */
function coverage(calls: readonly RandomCall[]) {
  const features = {
    rank0: 0,
    rank1: 0,
    emptyBatch: 0,
    duplicates: 0,
    minusOneInside: 0,
    valuesAfterMinusOne: 0,
    nan: 0,
    infinity: 0,
    subnormal: 0,
    boundaryZeroTerm: 0,
    legacy: 0,
    none: 0,
    negativeGrad: 0,
    outOfRange: 0,
  };
  for (const call of calls) {
    const c = call.shape.length === 0 ? 1 : call.shape.at(-1)!;
    const n = call.input.length / c;
    const has = (k: keyof typeof features, yes: boolean) => {
      if (yes) features[k]++;
    };
    has('rank0', call.shape.length === 0);
    has('rank1', call.shape.length === 1);
    has('emptyBatch', call.input.length === 0);
    has('nan', call.input.some(Number.isNaN));
    has(
      'infinity',
      call.input.some((v) => Math.abs(v) === Infinity),
    );
    has(
      'subnormal',
      call.input.some((v) => v !== 0 && Math.abs(v) < (call.dtype === 'float32' ? 1.2e-38 : 2.3e-308)),
    );
    has('legacy', call.options.size_average != null || call.options.reduce != null);
    has('none', call.options.reduction === 'none' || call.options.reduce === false);
    has(
      'negativeGrad',
      call.gradOutput.some((v) => v < 0),
    );
    has(
      'outOfRange',
      call.target.some((v) => v < -1 || v >= c),
    );
    let duplicates = false;
    let inside = false;
    let after = false;
    let zeroTerm = false;
    for (let row = 0; row < n; row++) {
      const t = call.target.slice(row * c, row * c + c);
      const x = call.input.slice(row * c, row * c + c);
      const stop = t.indexOf(-1);
      const prefix = stop < 0 ? t : t.slice(0, stop);
      if (new Set(prefix).size < prefix.length) duplicates = true;
      if (stop > 0) inside = true;
      if (stop >= 0 && t.slice(stop + 1).some((v) => v >= 0)) after = true;
      const round = call.dtype === 'float32' ? Math.fround : (v: number) => v;
      for (const y of prefix) {
        if (y < 0 || y >= c) continue;
        const a = round(1 - x[y]!);
        if (x.some((v, d) => !prefix.includes(d) && round(a + v) === 0 && a !== 0)) zeroTerm = true;
      }
    }
    has('duplicates', duplicates);
    has('minusOneInside', inside);
    has('valuesAfterMinusOne', after);
    has('boundaryZeroTerm', zeroTerm);
  }
  return Object.fromEntries(Object.entries(features).map(([k, v]) => [k, v / calls.length]));
}

describe('randomCallArbitrary', () => {
  it('covers every feature the property tests promise, in a useful share of calls', () => {
    const calls = fc.sample(randomCallArbitrary(['float32', 'float64']), { numRuns: 2000, seed: 7 });
    const shares = coverage(calls);
    for (const [feature, share] of Object.entries(shares)) {
      expect(share, feature).toBeGreaterThan(0.03);
    }
    // Out-of-range targets are the exception, not the rule (most calls must compute something).
    expect(shares.outOfRange).toBeLessThan(0.15);
  });
});
