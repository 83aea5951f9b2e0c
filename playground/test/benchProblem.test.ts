import { describe, expect, it } from 'vitest';
import { benchProblem, checkBenchShape, MAX_BENCH_ELEMENTS } from '../src/benchProblem.ts';

const shape = (batch: number, classes: number, targets: number) => ({ label: 'x', batch, classes, targets });

describe('benchProblem', () => {
  it('gives each row J distinct classes, then -1s, and inputs in [-2, 2); the same for the same seed', () => {
    const { input, target } = benchProblem(shape(50, 20, 7));
    expect(input.shape).toEqual([50, 20]);
    expect(input.data.every((v) => v >= -2 && v < 2)).toBe(true);
    for (let n = 0; n < 50; n++) {
      const row = Array.from(target.data.subarray(n * 20, n * 20 + 20));
      const picked = row.slice(0, 7);
      expect(new Set(picked).size).toBe(7);
      expect(picked.every((c) => c >= 0 && c < 20)).toBe(true);
      expect(row.slice(7).every((c) => c === -1)).toBe(true);
    }
    expect(benchProblem(shape(50, 20, 7)).input.data).toEqual(input.data);
    expect(benchProblem(shape(50, 20, 7), 1).input.data).not.toEqual(input.data);
  });

  it('rejects shapes it cannot make, before allocating', () => {
    expect(() => checkBenchShape(shape(0, 10, 1))).toThrow(RangeError);
    expect(() => checkBenchShape(shape(10, 10, 11))).toThrow(/0 ≤ J ≤ C/);
    expect(() => checkBenchShape(shape(1.5, 10, 1))).toThrow(/integers/);
    expect(() => checkBenchShape(shape(MAX_BENCH_ELEMENTS, 2, 1))).toThrow(/more than this page generates/);
    expect(() => checkBenchShape(shape(MAX_BENCH_ELEMENTS, 1, 1))).not.toThrow();
  });
});
