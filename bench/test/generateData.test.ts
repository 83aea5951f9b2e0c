import { describe, expect, it } from 'vitest';
import { generateData, seededRandom } from '../src/generateData.js';
import { type BenchShape, GRID_SHAPES, selectShapes } from '../src/shapes.js';

const shape: BenchShape = { id: 't', label: 't', group: 'grid', batch: 50, classes: 37, targets: 6 };

describe('generateData', () => {
  it('gives identical arrays for the same shape and seed', () => {
    const a = generateData(shape, 'float32', 7);
    const b = generateData(shape, 'float32', 7);
    expect(a.input.data).toEqual(b.input.data);
    expect(a.target.data).toEqual(b.target.data);
  });

  it('gives other arrays for another seed', () => {
    const a = generateData(shape, 'float32', 7);
    const b = generateData(shape, 'float32', 8);
    expect(a.input.data).not.toEqual(b.input.data);
  });

  it('rounds the float64 data to get the float32 data, with the same targets', () => {
    const single = generateData(shape, 'float32');
    const double = generateData(shape, 'float64');
    expect(single.input.data).toBeInstanceOf(Float32Array);
    expect(double.input.data).toBeInstanceOf(Float64Array);
    expect(single.input.data).toEqual(Float32Array.from(double.input.data));
    expect(single.target.data).toEqual(double.target.data);
  });

  it('writes J distinct classes then -1s in every row, inputs in [-2, 2)', () => {
    const { input, target } = generateData(shape, 'float64');
    expect(input.shape).toEqual([50, 37]);
    expect(target.shape).toEqual([50, 37]);
    for (let n = 0; n < shape.batch; n++) {
      const row = [...target.data.subarray(n * shape.classes, (n + 1) * shape.classes)];
      const head = row.slice(0, shape.targets);
      expect(new Set(head).size).toBe(shape.targets);
      for (const y of head) expect(y >= 0 && y < shape.classes).toBe(true);
      expect(row.slice(shape.targets).every((y) => y === -1)).toBe(true);
    }
    expect(Math.min(...input.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...input.data)).toBeLessThan(2);
  });

  it('handles J = 0 and J = C, and rejects J > C', () => {
    const none = generateData({ ...shape, targets: 0 }, 'float32');
    expect(none.target.data.every((y) => y === -1)).toBe(true);
    const all = generateData({ ...shape, batch: 3, targets: shape.classes }, 'float32');
    const first = [...all.target.data.subarray(0, shape.classes)].sort((a, b) => a - b);
    expect(first).toEqual([...Array(shape.classes).keys()]);
    expect(() => generateData({ ...shape, targets: 38 }, 'float32')).toThrow(RangeError);
  });

  it('seededRandom is uniform-ish in [0, 1)', () => {
    const random = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
      sum += value;
    }
    expect(sum / 10000).toBeCloseTo(0.5, 1);
  });
});

describe('shapes', () => {
  it('has the five grid shapes of issue 6', () => {
    expect(GRID_SHAPES.map((s) => [s.batch, s.classes, s.targets])).toEqual([
      [32, 10, 2],
      [1024, 1000, 5],
      [65536, 128, 3],
      [256, 10000, 50],
      [16, 100000, 1000],
    ]);
  });

  it('expands sweeps and rejects unknown selectors', () => {
    const sweep = selectShapes(['sweep-targets'], false);
    expect(sweep.map((s) => s.targets)).toEqual([1, 4, 16, 64, 256, 1024]);
    expect(new Set(sweep.map((s) => s.classes)).size).toBe(1);
    expect(() => selectShapes(['huge'], false)).toThrow(/unknown shape 'huge'/);
  });
});
