import type { Dtype, FloatArray } from '@mlml/core-spec';
import { describe, expect, test } from 'vitest';
import { buildForwardTable, lossTabled, tabledTerm } from '../src/forwardTable.js';
import { CPU_TS_CAPABILITIES, createCpuTsBackend } from '../src/index.js';
import { RowScratch } from '../src/RowScratch.js';
import { prepareRow } from '../src/rowKernel.js';
import { type Case, expected, firstMismatch, nextFloat32 } from './helpers.js';

/*
 * The forward-only paths of rowLoss: the relu loops (J <= 8: padded 4, exact 5, padded 6 and 8),
 * the bucket table (J > 8, one or two thresholds per bucket, whole-row or per-segment), and their
 * fallbacks (NaN / infinities, clustered thresholds, dominant target terms).
 */

const RTOL: Record<Dtype, number> = {
  float32: CPU_TS_CAPABILITIES.tolerance.float32!.rtol,
  float64: CPU_TS_CAPABILITIES.tolerance.float64!.rtol,
};

/** A seeded xorshift generator in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function floats(dtype: Dtype, values: readonly number[]): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

/** The threshold -fl(1 - x) of a target value x, in the dtype's precision. */
function thresholdOf(dtype: Dtype, x: number): number {
  return -(dtype === 'float32' ? Math.fround(1 - x) : 1 - x);
}

/** Per-sample losses of cpu-ts's forward vs the reference (reduction none), on `rows`. */
async function expectForwardAgrees(dtype: Dtype, rows: number[][], targets: number[][]): Promise<void> {
  const batch = rows.length;
  const classes = rows[0]!.length;
  const c: Case = {
    input: { data: floats(dtype, rows.flat()), shape: [batch, classes] },
    target: { data: Int32Array.from(targets.flat()), shape: [batch, classes] },
    gradOutput: { data: floats(dtype, new Array(batch).fill(1)), shape: [batch] },
    options: { reduction: 'none' },
  };
  const forward = await shared.forward(c.input, c.target, c.options);
  const want = expected(c).output;
  const at = firstMismatch(forward.data, want, RTOL[dtype]);
  expect(at, `row ${at}: ${forward.data[at]} vs reference ${want[at]}`).toBe(-1);
}

/**
 * `batch` rows of `classes` values with `count` distinct targets each (then -1s); a third of the
 * non-targets sit exactly on a threshold or one float32 step either side of it.
 */
function rowsWithBorderlines(
  dtype: Dtype,
  seed: number,
  batch: number,
  classes: number,
  count: number,
  value: (random: () => number) => number,
): { rows: number[][]; targets: number[][] } {
  const random = seeded(seed);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  const rows: number[][] = [];
  const targets: number[][] = [];
  for (let n = 0; n < batch; n++) {
    const row = Array.from({ length: classes }, () => round(value(random)));
    const order = Array.from({ length: classes }, (_, i) => i);
    for (let j = 0; j < count; j++) {
      const k = j + Math.floor(random() * (classes - j));
      [order[j], order[k]] = [order[k]!, order[j]!];
    }
    const chosen = order.slice(0, count);
    const isTarget = new Set(chosen);
    for (let d = 0; d < classes; d++) {
      if (isTarget.has(d) || random() > 1 / 3) continue;
      const t = thresholdOf(dtype, row[chosen[Math.floor(random() * count)]!]!);
      const step = Math.floor(random() * 3) - 1;
      row[d] = step === 0 || dtype === 'float64' ? t : nextFloat32(t, step as 1 | -1);
    }
    rows.push(row);
    targets.push([...chosen, ...new Array(classes - count).fill(-1)]);
  }
  return { rows, targets };
}

const shared = createCpuTsBackend();

describe('relu loops (J <= 8)', () => {
  test('every J from 1 to 8 agrees with the reference, values on and next to thresholds', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (let count = 1; count <= 8; count++) {
        const { rows, targets } = rowsWithBorderlines(dtype, 100 + count, 8, 37, count, (r) => r() * 6 - 3);
        await expectForwardAgrees(dtype, rows, targets);
      }
    }
  });

  test('rows with NaN or infinite values or thresholds, and float64 terms that overflow, are exact', async () => {
    const base = [0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2, 0, 1];
    const specials: [number, number][] = [
      [3, Number.NaN],
      [4, Number.POSITIVE_INFINITY],
      [5, Number.NEGATIVE_INFINITY],
      [0, Number.POSITIVE_INFINITY], // a target: threshold -inf
      [0, Number.NEGATIVE_INFINITY], // a target: threshold +inf
      [0, Number.NaN], // a target: NaN threshold, dropped
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      for (let count = 1; count <= 8; count++) {
        const rows = specials.map(([d, v]) => base.map((x, i) => (i === d ? v : x)));
        const targets = rows.map(() => base.map((_, i) => (i < count ? i : -1)));
        await expectForwardAgrees(dtype, rows, targets);
      }
    }
    // a + |a| overflows for a > 2^1023 although each term is finite: the checked sum is finite.
    // Threshold -1e307 - 1: the first value's term is 1.1e308, the row's sum about 1.2e308.
    const huge = [1e308, -1e307, 0, -1, 5];
    await expectForwardAgrees('float64', [huge], [[1, -1, 0, 0, 0]]);
    await expectForwardAgrees('float64', [huge], [[1, 4, 3, -1, 0]]);
  });
});

describe('bucket table (J > 8)', () => {
  /** Sets up the scratch for one row and builds its table. */
  function tableFor(
    dtype: Dtype,
    row: number[],
    targets: number[],
  ): { scratch: RowScratch; built: boolean; size: number } {
    const scratch = new RowScratch();
    scratch.ensure(row.length);
    const input = floats(dtype, row);
    const target = Int32Array.from(targets);
    const context = { input, target, classes: row.length, float32: dtype === 'float32', scratch };
    const count = targets.indexOf(-1) < 0 ? targets.length : targets.indexOf(-1);
    const size = prepareRow(context, 0, count);
    return { scratch, built: buildForwardTable(scratch, size, row.length), size };
  }

  /** The sum of (v - t) over thresholds t < v, straight from the definition. */
  function bruteTerm(thresholds: readonly number[], v: number): number {
    let sum = 0;
    for (const t of thresholds) if (v > t) sum += v - t;
    return sum;
  }

  /** Checks tabledTerm and the loop (both parities) against the definition on `probes`. */
  function expectTermsExact(scratch: RowScratch, size: number, thresholds: number[], probes: number[]): void {
    for (const v of probes) {
      const want = Number.isNaN(v) ? 0 : bruteTerm(thresholds, v);
      const got = tabledTerm(v, scratch, size);
      if (want === 0 || !Number.isFinite(want)) expect(got, `v = ${v}`).toBe(want);
      else expect(Math.abs(got - want) / want, `v = ${v}: ${got} vs ${want}`).toBeLessThan(1e-12);
    }
    const finite = Float32Array.from(probes.filter((v) => Number.isFinite(v)));
    for (const end of [finite.length, finite.length - 1]) {
      let want = 0;
      for (let i = 0; i < end; i++) want += bruteTerm(thresholds, finite[i]!);
      const got = lossTabled(finite, 0, end, scratch, size);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
    }
  }

  test('the term of values on bucket edges, on thresholds and one step either side is exact', () => {
    for (const [seed, count] of [
      [1, 9],
      [2, 10],
      [3, 33],
      [4, 64],
      [5, 190],
    ] as const) {
      const random = seeded(seed);
      const classes = 200;
      const row = Array.from({ length: classes }, () => Math.fround(random() * 4 - 2));
      const targets = Array.from({ length: classes }, (_, i) => (i < count ? i : -1));
      const { scratch, built, size } = tableFor('float32', row, targets);
      expect(built).toBe(true);
      const table = scratch.forwardTable;
      const [lowest, scale, , floor, ceiling] = [table[0]!, table[1]!, table[2]!, table[3]!, table[4]!];
      expect(floor).toBeLessThan(lowest);
      const thresholds = row.slice(0, count).map((x) => thresholdOf('float32', x));
      const probes: number[] = [lowest - 1, ceiling, ceiling * 2 + 1, Number.NaN, -Infinity, Infinity];
      for (const edge of [floor, ceiling, (floor + lowest) / 2, lowest])
        probes.push(Math.fround(edge), nextFloat32(Math.fround(edge), 1), nextFloat32(Math.fround(edge), -1));
      for (const t of thresholds) probes.push(t, nextFloat32(t, 1), nextFloat32(t, -1));
      for (let b = -4; b < 8 * count * 2 + 4; b += 3) {
        const edge = Math.fround(lowest + b / scale);
        probes.push(edge, nextFloat32(edge, 1), nextFloat32(edge, -1));
      }
      expectTermsExact(scratch, size, thresholds, probes);
    }
  });

  test('tied thresholds share one record, weighted by their count; buckets with two distinct values are searched', () => {
    // Thresholds -0.5 (x4), -0.25 (x3), 0 (x2): three distinct values, nine thresholds.
    const xs = [0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 1, 1];
    const row = [...xs, -1, 2, -0.5, -0.25, 0, 0.3, -0.4];
    const targets = row.map((_, i) => (i < xs.length ? i : -1));
    const { scratch, built, size } = tableFor('float32', row, targets);
    expect(built).toBe(true);
    const table = scratch.forwardTable;
    const weights: number[] = [];
    for (let r = 8; r < table.length && r < 8 + 4 * (table[2]! + 1); r += 4)
      if (table[r + 3]! > 0) weights.push(table[r + 3]!);
    expect(weights).toEqual([4, 3, 2]);
    const thresholds = xs.map((x) => thresholdOf('float32', x));
    const probes = [-1, -0.5, -0.375, -0.25, -0.125, 0, 0.5, 2, 7, nextFloat32(-0.5, 1), nextFloat32(0, -1)];
    expectTermsExact(scratch, size, thresholds, probes);
    // Many distinct thresholds crowded next to each other share marked buckets: still exact.
    const crowded = Array.from({ length: 40 }, (_, i) =>
      i < 30 ? 0.5 + i * 1e-7 : i === 30 ? -3 : 0.4 + i * 0.01,
    );
    const crowdedTargets = crowded.map((_, i) => (i <= 30 ? i : -1));
    const c = tableFor('float64', crowded, crowdedTargets);
    expect(c.built).toBe(true);
    const crowdedThresholds = crowded.slice(0, 31).map((x) => thresholdOf('float64', x));
    expectTermsExact(c.scratch, c.size, crowdedThresholds, [
      ...crowdedThresholds,
      -0.49999,
      -0.4999995,
      0,
      1,
    ]);
  });

  test('infinite or huge thresholds build no table; all-equal thresholds build a one-bucket table', () => {
    const row = Array.from({ length: 16 }, (_, i) => i / 8 - 1);
    const targets = Array.from({ length: 16 }, (_, i) => (i < 10 ? i : -1));
    const withInfinity = row.map((x, i) => (i === 3 ? Number.POSITIVE_INFINITY : x));
    expect(tableFor('float32', withInfinity, targets).built).toBe(false);
    const withHuge = row.map((x, i) => (i === 3 ? -1e301 : x));
    expect(tableFor('float64', withHuge, targets).built).toBe(false);
    const allEqual = row.map((x, i) => (i < 10 ? 0.25 : x));
    const equal = tableFor('float32', allEqual, targets);
    expect(equal.built).toBe(true);
    expect(equal.scratch.forwardTable[1]).toBe(0);
    expectTermsExact(
      equal.scratch,
      equal.size,
      new Array(10).fill(-0.75),
      [-1, -0.75, -0.5, 0, 3, 1e30, -1e30],
    );
  });

  test('tie-heavy rows (all equal, two values, small integers) agree with the reference', async () => {
    const random = seeded(77);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const kind of ['all-equal', 'two-values', 'small-integers'] as const) {
        const value = (): number =>
          kind === 'all-equal'
            ? 0.25
            : kind === 'two-values'
              ? random() < 0.5
                ? 0
                : 1
              : Math.floor(random() * 8) - 4;
        const { rows, targets } = rowsWithBorderlines(dtype, 5, 3, 300, 60, value);
        const plain = rows.map((row) => row.map(() => value()));
        await expectForwardAgrees(dtype, [...rows, ...plain], [...targets, ...targets]);
      }
    }
  });

  test('J from 9 up, random rows with borderline values, NaN and infinities agree with the reference', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [count, classes] of [
        [9, 40],
        [10, 11],
        [17, 300],
        [50, 400],
        [120, 130],
      ] as const) {
        const { rows, targets } = rowsWithBorderlines(dtype, count * 7 + classes, 4, classes, count, (r) => {
          const u = r();
          if (u < 0.003) return Number.NaN;
          if (u < 0.006) return Number.POSITIVE_INFINITY;
          if (u < 0.009) return Number.NEGATIVE_INFINITY;
          // Some values far beyond the table's ceiling and below its lowest threshold.
          if (u < 0.05) return (r() - 0.5) * 1e4;
          return r() * 4 - 2;
        });
        await expectForwardAgrees(dtype, rows, targets);
      }
    }
  });

  test('duplicated targets and target terms above half the row total (per-segment fallback), J > 8 and J <= 8', async () => {
    const classes = 40;
    // Targets high above everything else: the row's loss is the non-targets' (zero here) and the
    // targets' own terms must not leak into it.
    const high = Array.from({ length: classes }, (_, i) => (i < 12 ? 100 + i * 0.37 : -5 + i * 0.01));
    const highTargets = Array.from({ length: classes }, (_, i) => (i < 12 ? i : -1));
    // Same, with non-targets just above the lowest threshold: tiny terms beside big target terms.
    const near = high.map((x, i) => (i < 12 ? x : 99 + 1e-3 * i));
    // Duplicated targets: each class counts once among the non-targets however often it repeats.
    const duplicated = Array.from({ length: classes }, (_, i) => ((i * 7) % 13) / 4 - 1.5);
    const duplicatedTargets = Array.from({ length: classes }, (_, i) => (i < 20 ? i % 10 : -1));
    // The same with 5 targets (relu loops, which also subtract the target terms from the row's).
    const fewTargets = Array.from({ length: classes }, (_, i) => (i < 5 ? i : -1));
    const duplicatedFew = Array.from({ length: classes }, (_, i) => (i < 7 ? i % 3 : -1));
    for (const dtype of ['float32', 'float64'] as const) {
      await expectForwardAgrees(
        dtype,
        [high, near, duplicated, high, near, duplicated],
        [highTargets, highTargets, duplicatedTargets, fewTargets, fewTargets, duplicatedFew],
      );
    }
    const loss = await shared.forward(
      { data: Float32Array.from(high), shape: [1, classes] },
      { data: Int32Array.from(highTargets), shape: [1, classes] },
      { reduction: 'none' },
    );
    expect(loss.data[0]).toBe(0);
  });
});

describe('two-valued rows (values a span or more above their two thresholds)', () => {
  test('take the small table that reaches eight spans above its thresholds, and agree with the reference', async () => {
    const classes = 200;
    const random = seeded(7);
    for (const dtype of ['float32', 'float64'] as const) {
      const rows = Array.from({ length: 4 }, () =>
        Array.from({ length: classes }, () => (random() < 0.5 ? 0.25 : 0.75)),
      );
      const targets = rows.map((_, n) =>
        Array.from({ length: classes }, (_, j) => (j < 20 ? (n * 31 + j * 7) % classes : -1)),
      );
      await expectForwardAgrees(dtype, rows, targets);
    }
  });
});
