import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sortThresholds } from '../src/sortAscending.js';

describe('sortThresholds', () => {
  const valueArb = fc.oneof(
    fc.double({ noNaN: true }),
    fc.integer({ min: -3, max: 3 }).map((v) => v / 2),
    fc.constantFrom(0, -0, 1e-300, -1e300, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE),
  );

  test('sorts like the native typed-array sort: spread out, tied, clustered, infinite, every length', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 300 }), fc.nat({ max: 5 }), (values, padding) => {
        const array = new Float64Array(values.length + padding).fill(Number.NaN);
        array.set(values);
        const spare = new Float64Array(values.length);
        const ends = new Int32Array(values.length + 2);
        sortThresholds(array, values.length, spare, ends);
        const want = Float64Array.from(values).sort();
        // -0 and 0 compare equal and may land in either order.
        expect(Array.from(array.subarray(0, values.length), (v) => v + 0)).toEqual(
          Array.from(want, (v) => v + 0),
        );
        for (let k = values.length; k < array.length; k++) expect(array[k]).toBeNaN();
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  test('long runs of ties and of one crowded bucket', () => {
    const ties = Float64Array.from({ length: 500 }, (_, i) => [3, -1, 3, 0.5][i % 4]!);
    const crowded = Float64Array.from({ length: 500 }, (_, i) =>
      i === 0 ? -1e6 : i === 1 ? 1e6 : Math.sin(i),
    );
    for (const values of [ties, crowded]) {
      const array = values.slice();
      sortThresholds(array, array.length, new Float64Array(array.length), new Int32Array(array.length + 2));
      expect(Array.from(array)).toEqual(Array.from(values.slice().sort()));
    }
  });
});
