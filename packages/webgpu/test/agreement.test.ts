import type { LossOptions } from '@mlml/core-spec';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.ts';
import { CLASSES_PER_THREAD, planChunks } from '../src/planChunks.ts';
import { TargetPath } from '../src/shaders.ts';
import { type Case, expectAgreement, randomProblem } from './helpers.ts';

const f32 = (values: number[]): Float32Array => new Float32Array(values);
const i32 = (values: number[]): Int32Array => new Int32Array(values);

/** The target path a call of this shape takes (limits that never chunk it). */
function pathOf(batch: number, classes: number, maxTargets: number): TargetPath {
  const limits = {
    maxStorageBufferBindingSize: 2 ** 30,
    maxBufferSize: 2 ** 30,
    maxComputeWorkgroupsPerDimension: 65535,
  };
  return planChunks({ batch, classes, maxTargets, withGradient: true, rowAlignment: 1 }, limits).path;
}

// Values that make ties, borderline margins, cancellation and specials likely.
const interesting = [
  0,
  -0,
  1,
  -1,
  0.5,
  2,
  1 - 2 ** -24,
  1 + 2 ** -23,
  -(2 ** -24),
  2 ** -24,
  1e-8,
  -1e-8,
  1e30,
  -1e30,
  3e38,
  -3e38,
  1e-40,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

const valueArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -4, max: 4 }).map((v) => v / 2) },
  { weight: 1, arbitrary: fc.constantFrom(...interesting) },
  { weight: 1, arbitrary: fc.float() },
);

const optionsArbitrary: fc.Arbitrary<LossOptions> = fc.oneof(
  fc.constantFrom<LossOptions>({}, { reduction: 'none' }, { reduction: 'sum' }, { reduction: 'mean' }),
  fc
    .record({ size_average: fc.constantFrom(true, false, null), reduce: fc.constantFrom(true, false, null) })
    .map((legacy): LossOptions => legacy),
);

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    rank: fc.constantFrom(0, 1, 2, 2, 2),
    batch: fc.integer({ min: 1, max: 5 }),
    classes: fc.integer({ min: 1, max: 24 }),
    options: optionsArbitrary,
    seedValues: fc.array(valueArbitrary, { minLength: 120, maxLength: 120 }),
    seedTargets: fc.array(fc.integer({ min: -1, max: 1000 }), { minLength: 120, maxLength: 120 }),
    negativeChance: fc.constantFrom(0, 0.1, 0.3),
    grads: fc.array(fc.constantFrom(1, -1, 0, 0.5, -2.5, 3), { minLength: 5, maxLength: 5 }),
  })
  .map(({ rank, batch, classes, options, seedValues, seedTargets, negativeChance, grads }) => {
    const n = rank === 2 ? batch : 1;
    const c = rank === 0 ? 1 : classes;
    const shape = rank === 0 ? [] : rank === 1 ? [c] : [n, c];
    const input = new Float32Array(n * c);
    const target = new Int32Array(n * c);
    for (let i = 0; i < n * c; i++) {
      input[i] = seedValues[i % seedValues.length] as number;
      const t = seedTargets[(i * 7) % seedTargets.length] as number;
      target[i] = t < 0 || (t % 100) / 100 < negativeChance ? -1 : t % c;
    }
    const forwardNone =
      options.reduce === false ||
      (options.reduce == null && options.size_average == null && options.reduction === 'none');
    const gradShape = forwardNone && rank === 2 ? [n] : [];
    const gradData = new Float32Array(gradShape.length === 0 ? 1 : n).map(
      (_, k) => grads[k % grads.length] as number,
    );
    return {
      input: { data: input, shape },
      target: { data: target, shape },
      gradOutput: { data: gradData, shape: gradShape },
      options,
    };
  });

describe('webgpu agrees with the core-spec reference', () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    // No skip: without an adapter this rejects and every test here fails.
    backend = await createWebGpuBackend();
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  /**
   * Two rows of `input.length / 2` classes agree under `reduction: 'none'` (with grad_output
   * [1, -0.5]) and `'sum'`.
   */
  async function expectTwoRowsAgree(input: Float32Array, target: Int32Array, label: string): Promise<void> {
    const classes = input.length / 2;
    for (const reduction of ['none', 'sum'] as const) {
      await expectAgreement(
        backend,
        {
          input: { data: input, shape: [2, classes] },
          target: { data: target, shape: [2, classes] },
          gradOutput: {
            data: new Float32Array(reduction === 'none' ? [1, -0.5] : [1]),
            shape: reduction === 'none' ? [2] : [],
          },
          options: { reduction },
        },
        `${label} ${reduction}`,
      );
    }
  }

  it('on the seed example of DESIGN §4', async () => {
    await expectAgreement(backend, {
      input: { data: f32([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] },
      target: { data: i32([3, 0, -1, 1]), shape: [1, 4] },
    });
  });

  it('on every reduction for 0-dim, 1-D and 2-D input', async () => {
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      await expectAgreement(backend, {
        input: { data: f32([0.3]), shape: [] },
        target: { data: i32([0]), shape: [] },
        options: { reduction },
      });
      await expectAgreement(backend, {
        input: { data: f32([0.1, 0.2, 0.4, 0.8]), shape: [4] },
        target: { data: i32([3, 0, -1, 1]), shape: [4] },
        options: { reduction },
      });
      await expectAgreement(backend, {
        input: { data: f32([0.1, 0.2, 0.4, 0.8, -1, 2, 0.5, 0.25]), shape: [2, 4] },
        target: { data: i32([3, 0, -1, 1, 1, 1, 2, -1]), shape: [2, 4] },
        options: { reduction },
        gradOutput:
          reduction === 'none' ? { data: f32([-2, 0]), shape: [2] } : { data: f32([-0.75]), shape: [] },
      });
    }
  });

  it('on duplicates, an all -1 target and values after the first -1', async () => {
    const input = { data: f32([0.5, -0.25, 1.5, 0.125, 0.75, -2, 0, 1, 3]), shape: [3, 3] };
    await expectAgreement(backend, {
      input,
      target: { data: i32([1, 1, -1, -1, 2, 0, 2, 2, 2]), shape: [3, 3] },
      options: { reduction: 'none' },
      gradOutput: { data: f32([1, -3, 0.5]), shape: [3] },
    });
  });

  it('on seeded random cases (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        await expectAgreement(backend, c);
      }),
      { seed: 20261129, numRuns: 80 },
    );
  });

  it('on rows of either path: J <= 8 (keys in registers), and any J (bucket table, rows of fewer targets beside)', async () => {
    const classes = 300;
    for (const rows of [
      [0, 1, 5, 8, 3],
      [0, 1, 5, 8, 9, 33, 64, 65, 200, 300],
    ]) {
      const { input } = randomProblem(rows.length, classes, 0, 77);
      const target = new Int32Array(rows.length * classes).fill(-1);
      rows.forEach((count, n) => {
        for (let j = 0; j < count; j++) target[n * classes + j] = (j * 7 + n) % classes;
      });
      for (const reduction of ['none', 'sum'] as const) {
        await expectAgreement(
          backend,
          {
            input,
            target: { data: target, shape: [rows.length, classes] },
            options: { reduction },
            gradOutput: {
              data: f32(reduction === 'none' ? rows.map((_, n) => n - 2) : [0.5]),
              shape: reduction === 'none' ? [rows.length] : [],
            },
          },
          `J ${rows.join(',')} ${reduction}`,
        );
      }
    }
  });

  it.each([
    [64, TargetPath.dense], // 8 buckets for 24 thresholds
    [2048, TargetPath.searched], // 256 buckets
  ])('on bucket tables of clustered, tied, tiny-span and huge thresholds (elements equal to thresholds), C = %i', async (classes, path) => {
    const rowValues: ((j: number) => number)[] = [
      () => 0.75, // every threshold equal: one bucket holds them all
      (j) => (j % 2 === 0 ? 0.25 : 0.75), // two values
      (j) => 1 + j * 2 ** -23, // a span of a few ulps
      (j) => (j % 3 === 0 ? 1e30 : -1e30), // a huge span
      (j) => (j % 4 === 0 ? 3e38 : j * 0.5), // beyond the table's scale: one bucket
      (j) => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, j][j % 4] as number,
      (j) => (j < 20 ? 1e-40 * j : -j), // subnormals
    ];
    const batch = rowValues.length;
    expect(pathOf(batch, classes, 24)).toBe(path);
    const input = new Float32Array(batch * classes);
    const target = new Int32Array(batch * classes).fill(-1);
    rowValues.forEach((value, n) => {
      const J = 24;
      for (let d = 0; d < classes; d++) {
        // Targets take the row's values; the others sit on, between and around the thresholds.
        input[n * classes + d] = d < J ? value(d) : value(d % J) - 1 + [0, 2 ** -20, -(2 ** -20), 3][d % 4]!;
      }
      for (let j = 0; j < J; j++) target[n * classes + j] = j;
    });
    for (const reduction of ['none', 'sum'] as const) {
      await expectAgreement(
        backend,
        {
          input: { data: input, shape: [batch, classes] },
          target: { data: target, shape: [batch, classes] },
          options: { reduction },
        },
        `tables ${reduction}`,
      );
    }
  });

  it('on dense tables: buckets of one to five keys, distinct or tied, elements on, between and beside each key', async () => {
    // 512 classes, 32 thresholds: 64 buckets (the row's cap), the dense path. Thresholds t = x - 1
    // of the targets x, the range [0, 63] (a bucket per unit): clusters of 1-5 keys within 0.4 of
    // a unit fall in one bucket.
    const clusters = [
      [0],
      [3, 3.1],
      [6, 6.1, 6.2],
      [9, 9.1, 9.1],
      [12, 12, 12.3],
      [15, 15, 15],
      [18, 18.1, 18.2, 18.3],
      [21, 21.1, 21.1, 21.3],
      [24, 24.05, 24.1, 24.2, 24.3],
      [27, 27, 27, 27.2],
      [63],
    ];
    const thresholds = clusters.flat();
    const classes = 512;
    const J = thresholds.length;
    expect(pathOf(2, classes, J)).toBe(TargetPath.dense);
    const input = new Float32Array(2 * classes);
    const target = new Int32Array(2 * classes).fill(-1);
    for (let n = 0; n < 2; n++) {
      const row = input.subarray(n * classes, (n + 1) * classes);
      const sign = n === 0 ? 1 : -1; // row 1: the thresholds mirrored (the table from the other end)
      thresholds.forEach((t, j) => {
        row[j] = sign * t + 1;
        target[n * classes + j] = j;
      });
      // Non-targets: on each threshold (its float32 value), an ulp above and below, and halfway to
      // the next.
      for (let d = J; d < classes; d++) {
        const i = (d - J) % J;
        const t = Math.fround(-Math.fround(1 - (row[i] as number)));
        const next = Math.fround(-Math.fround(1 - (row[(i + 1) % J] as number)));
        const variant = Math.floor((d - J) / J);
        row[d] = [
          t,
          t + Math.abs(t) * 2 ** -23 + 2 ** -30,
          t - Math.abs(t) * 2 ** -23 - 2 ** -30,
          (t + next) / 2,
        ][variant % 4]!;
      }
    }
    await expectTwoRowsAgree(input, target, 'dense tables');
  });

  it('on buckets too full to pack (over 1023 keys in one bucket): their elements are searched', async () => {
    // Row 0: 1500 thresholds equal (one bucket), 500 spread above; row 1: 1199 distinct thresholds
    // in [0, 0.0012) and one at 1000 (so one bucket holds the 1199). Elements on, between and
    // around them.
    const classes = 4000;
    const input = new Float32Array(2 * classes);
    const target = new Int32Array(2 * classes).fill(-1);
    for (let d = 0; d < classes; d++) {
      const spread = ((d * 7919) % 1000) / 150 - 1;
      input[d] =
        d < 1500 ? 0.5 : d < 2000 ? 1 + (d - 1500) / 100 : d < 2100 ? -0.5 + (d - 2000) * 2 ** -20 : spread;
      input[classes + d] = d < 1199 ? 1 + d * 1e-6 : d === 1199 ? 1001 : ((d * 104729) % 1000) / 500 - 1;
    }
    for (let j = 0; j < 2000; j++) target[j] = j;
    for (let j = 0; j < 1200; j++) target[classes + j] = j;
    await expectTwoRowsAgree(input, target, 'full buckets');
  });

  it('on a row of more than 2^20 thresholds: the empty buckets above them, whose count does not pack, are searched', async () => {
    // T targets at 0 (threshold -1), one at 10 (threshold 9), M non-targets at 5: every non-target
    // lies in an empty bucket with T keys below it, more than an entry's 20 bits hold. The
    // reference's O(J·C) loop is too slow at this size; the values are exact: each non-target
    // passes the T thresholds at -1 by 6 and not the one at 9.
    const T = 2 ** 20 + 64;
    const M = 1000;
    const classes = T + 1 + M;
    const input = new Float32Array(classes).fill(5);
    const target = new Int32Array(classes).fill(-1);
    for (let d = 0; d <= T; d++) {
      input[d] = d < T ? 0 : 10;
      target[d] = d;
    }
    const x = { data: input, shape: [1, classes] };
    const y = { data: target, shape: [1, classes] };
    const loss = Math.fround((M * T * 6) / classes);
    expect((await backend.forward(x, y, { reduction: 'sum' })).data).toEqual(new Float32Array([loss]));
    const fused = await backend.forwardBackward(x, y, undefined, { reduction: 'none' });
    expect(fused.output.data).toEqual(new Float32Array([loss]));
    const expected = new Float32Array(classes).fill(T / classes);
    expected.fill(-M / classes, 0, T);
    expected[T] = 0;
    expect(fused.gradInput.data).toEqual(expected);
  });

  it('on many rows (CLASSES_PER_THREAD classes a thread): target bits across words and threads, and threads that meet an operand from 2^39, inf or NaN start again', async () => {
    // 40 rows: C not a multiple of 32 or of CLASSES_PER_THREAD, so a thread has a partial last word
    // of target bits; targets at every thread's word boundaries; a few elements beyond 2^39 (or
    // infinite, or NaN) among plain ones, in rows of either path.
    const classes = 2 * CLASSES_PER_THREAD + 489;
    for (const J of [5, 40]) {
      const { input, target } = randomProblem(40, classes, 0, 91 + J);
      const segments = Math.ceil(classes / CLASSES_PER_THREAD);
      for (let n = 0; n < 40; n++) {
        for (let j = 0; j < J; j++) {
          const i = [0, 31, 32, 63, 64, 249, 250][j % 7]!;
          target.data[n * classes + j] = Math.min(classes - 1, (j % segments) + i * segments + (j >> 3));
        }
      }
      input.data[3 * classes + 17] = 2 ** 40;
      input.data[5 * classes + 900] = -(2 ** 41);
      input.data[7 * classes + 2] = Number.POSITIVE_INFINITY;
      input.data[9 * classes + 400] = Number.NaN;
      input.data[11 * classes + target.data[11 * classes]!] = 2 ** 42; // a target's huge threshold: not plain
      for (const reduction of ['none', 'sum'] as const) {
        await expectAgreement(
          backend,
          { input, target, options: { reduction } },
          `many rows J ${J} ${reduction}`,
        );
      }
    }
  });

  it('on plain rows (thresholds below 2^39) with elements from 2^39: the big gap sums are the small ones scaled', async () => {
    // Thresholds just below 2^39 (a plain row), non-targets on either side of 2^39: those from 2^39
    // on take the big sum with the gap sum G[J], which is as large as their terms. Rows of each
    // path: keys in registers (J = 5), dense (C = 64, J = 20) and searched (C = 2048) tables.
    for (const [classes, J] of [
      [64, 5],
      [64, 20],
      [2048, 20],
    ] as const) {
      const input = new Float32Array(2 * classes);
      const target = new Int32Array(2 * classes).fill(-1);
      for (let n = 0; n < 2; n++) {
        const spacing = n === 0 ? 2 ** 17 : 3 * 2 ** 18;
        for (let d = 0; d < classes; d++) {
          const at = n * classes + d;
          if (d < J) {
            input[at] = 2 ** 39 - (d + 1) * spacing;
            target[at] = d;
          } else {
            input[at] = d % 5 === 0 ? 2 ** 39 - ((d % 11) + 1) * 2 ** 16 : 2 ** 39 + ((d * 7) % 13) * 2 ** 16;
          }
        }
      }
      expect(pathOf(2, classes, J)).toBe(
        J <= 8 ? TargetPath.registers : classes === 64 ? TargetPath.dense : TargetPath.searched,
      );
      await expectTwoRowsAgree(input, target, `plain rows, big elements, C ${classes} J ${J}`);
    }
  });

  it('on wide rows with many targets (tiles of thresholds, rows larger than a workgroup)', async () => {
    const classes = 700;
    const input = new Float32Array(2 * classes).map((_, i) => Math.sin(i * 12.9898) * 3);
    const target = new Int32Array(2 * classes).fill(-1);
    for (let j = 0; j < 600; j++) target[j] = (j * 37) % classes; // J = 600 > one tile of 256, duplicates
    for (let j = 0; j < 5; j++) target[classes + j] = j * 100;
    await expectAgreement(backend, {
      input: { data: input, shape: [2, classes] },
      target: { data: target, shape: [2, classes] },
      options: { reduction: 'sum' },
      gradOutput: { data: f32([-1.5]), shape: [] },
    });
  });
});
