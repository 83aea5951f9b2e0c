import type { ILossBackend } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';
import { type Case, closeValues, nextFloat32, random, referenceOf, sameValues } from './cases.js';

// The float32 bucket table (assembly/buckets.ts) ranks each element through a monotone
// float-to-bucket map: these rows aim at its corners (buckets holding one threshold or several,
// duplicates, values equal to thresholds or one ulp away, values at bucket edges, specials) and
// compare with the reference: the gradient bit for bit (it is k * g, so it shows every
// miscounted pair), the loss within the declared tolerance and, where the row is summed in
// double, within a much tighter one.

/** Forced onto the table (no compare-and-count), and with the default crossover. */
const backends = new Map<string, ILossBackend>();
beforeAll(async () => {
  backends.set('buckets', await createWasmBackend({ simdMaxTargets: 0 }));
  backends.set('default', await createWasmBackend());
});
afterAll(async () => {
  for (const backend of backends.values()) await backend.dispose();
});

/** A float32 case of rows given as (values, targets); grad_output differs per row. */
function caseOf(rows: { x: number[]; y: number[] }[], classes: number): Case {
  const batch = rows.length;
  const x = new Float32Array(batch * classes);
  const t = new Int32Array(batch * classes).fill(-1);
  rows.forEach((row, n) => {
    x.set(row.x, n * classes);
    t.set(row.y, n * classes);
  });
  const g = new Float32Array(batch);
  for (let n = 0; n < batch; n++) g[n] = n % 3 === 0 ? 1 : n % 3 === 1 ? -0.75 : 3;
  return {
    input: { data: x, shape: [batch, classes] },
    target: { data: t, shape: [batch, classes] },
    gradOutput: { data: g, shape: [batch] },
    options: { reduction: 'none' },
  };
}

/** Checks every backend on the case; `rtol` is the tolerance for the loss of finite rows. */
async function check(c: Case, rtol: number): Promise<void> {
  const expected = referenceOf(c);
  const declared = WASM_CAPABILITIES.tolerance.float32!;
  for (const [name, backend] of backends) {
    const output = await backend.forward(c.input, c.target, c.options);
    expect(
      closeValues(output.data, expected.output, declared.rtol, declared.atol),
      `${name} forward`,
    ).toBeUndefined();
    expect(closeValues(output.data, expected.output, rtol, 0), `${name} forward (tight)`).toBeUndefined();
    const both = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
    expect(closeValues(both.output.data, expected.output, rtol, 0), `${name} fused loss`).toBeUndefined();
    expect(sameValues(both.gradInput.data, expected.gradInput), `${name} fused grad`).toBeUndefined();
    const grad = await backend.backward(c.input, c.target, c.gradOutput, c.options);
    expect(sameValues(grad.data, expected.gradInput), `${name} backward`).toBeUndefined();
  }
}

/** Distinct random classes. */
function pickTargets(rnd: () => number, classes: number, count: number): number[] {
  const all = Array.from({ length: classes }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const k = i + Math.floor(rnd() * (classes - i));
    [all[i], all[k]] = [all[k]!, all[i]!];
  }
  return all.slice(0, count);
}

/** The threshold of a target value: -fl(1 - v). */
function thresholdOf(v: number): number {
  return -Math.fround(1 - v);
}

/** The target value whose threshold is exactly `t` (for t in a range where that exists). */
function valueFor(t: number): number {
  return Math.fround(1 + t);
}

/** `v` moved by `steps` float32 ulps. */
function stepUlps(v: number, steps: number): number {
  let w = v;
  for (let i = 0; i < Math.abs(steps); i++) w = nextFloat32(w, steps > 0 ? 1 : -1);
  return w;
}

/**
 * The bucket map of buckets.ts for `nb` buckets over [lo, hi], in float32 arithmetic:
 * bucket(v) = clamp(fl(fl(v s) + c), 2^23, 2^23 + nb) - 2^23 with s = fl(nb / fl(hi - lo)) and
 * c = fl(2^23 - fl(lo s)); edge(k) is a value where fl(v s) + c crosses 2^23 + k + 1/2.
 */
function bucketMap(lo: number, hi: number, nb: number) {
  const f = Math.fround;
  const s = f(nb / f(hi - lo));
  const c = f(2 ** 23 - f(lo * s));
  return {
    lo,
    hi,
    nb,
    bucket: (v: number) => Math.min(Math.max(f(f(v * s) + c), 2 ** 23), 2 ** 23 + nb) - 2 ** 23,
    edge: (k: number) => f((2 ** 23 + k + 0.5 - c) / s),
  };
}

/** Sets x at non-target positions to each threshold and to its neighbours a few ulps away. */
function aimAtThresholds(x: number[], y: number[], rnd: () => number): void {
  const isTarget = new Set(y);
  const thresholds = y.map((c) => thresholdOf(x[c]!));
  for (let d = 0; d < x.length; d++) {
    if (isTarget.has(d) || rnd() < 0.3) continue;
    x[d] = stepUlps(thresholds[Math.floor(rnd() * thresholds.length)]!, Math.floor(rnd() * 5) - 2);
  }
}

describe('the float32 bucket table', () => {
  it('agrees on rows of few or many thresholds (one per bucket, or slots.ts), values on and next to them', async () => {
    const rnd = random(11);
    const rows = [];
    for (const [classes, targets] of [
      [1000, 50],
      [403, 9],
      [1003, 200],
      [1003, 300],
      [2001, 700],
    ] as const) {
      const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
      const y = pickTargets(rnd, classes, targets);
      aimAtThresholds(x, y, rnd);
      rows.push({ x, y, classes });
    }
    for (const row of rows) await check(caseOf([row], row.classes), 1e-12);
  });

  it('agrees where buckets hold several thresholds: close values, duplicates, duplicated targets', async () => {
    const rnd = random(12);
    const classes = 801;
    const rows = [];
    // k distinct values packed within a few ulps (one bucket), the rest spread: 1..8 overflows
    // (beyond four the table retries finer, and past that the row goes to slots.ts's table or,
    // with more than three in a slotted bucket, to binary search).
    for (const packed of [2, 3, 4, 5, 6, 9, 12, 30]) {
      const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
      const y = pickTargets(rnd, classes, 40);
      let v = Math.fround(rnd() - 0.5);
      for (let i = 0; i < packed; i++) {
        x[y[i]!] = v;
        v = nextFloat32(v, 1);
      }
      aimAtThresholds(x, y, rnd);
      rows.push({ x, y });
    }
    // Equal target values (one threshold, several times) and targets listed more than once.
    for (const copies of [2, 3, 7]) {
      const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
      const y = pickTargets(rnd, classes, 30);
      for (let i = 1; i < copies; i++) x[y[i]!] = x[y[0]!]!;
      y.push(y[1]!, y[1]!, y[5]!);
      aimAtThresholds(x, y, rnd);
      rows.push({ x, y });
    }
    await check(caseOf(rows, classes), 1e-12);
  });

  it('agrees on thresholds and values at the edges of buckets', async () => {
    const rnd = random(13);
    const classes = 2000;
    const targets = 25;
    const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
    const y = pickTargets(rnd, classes, targets);
    // Two targets fix the range; the others get thresholds within a few ulps of bucket edges.
    x[y[0]!] = valueFor(-2.5);
    x[y[1]!] = valueFor(1.5);
    const map = bucketMap(thresholdOf(x[y[0]!]!), thresholdOf(x[y[1]!]!), 32 * targets);
    for (let i = 2; i < targets; i++) {
      const edge = map.edge(Math.floor(rnd() * map.nb));
      x[y[i]!] = valueFor(stepUlps(edge, Math.floor(rnd() * 5) - 2));
    }
    const thresholds = y.map((c) => thresholdOf(x[c]!));
    expect(Math.min(...thresholds)).toBe(map.lo);
    expect(Math.max(...thresholds)).toBe(map.hi);
    // Non-targets at and next to those thresholds and at and next to other edges.
    const isTarget = new Set(y);
    for (let d = 0; d < classes; d++) {
      if (isTarget.has(d) || rnd() < 0.2) continue;
      const near =
        rnd() < 0.5
          ? thresholds[Math.floor(rnd() * targets)]!
          : map.edge(Math.floor(rnd() * (map.nb + 2)) - 1);
      x[d] = stepUlps(near, Math.floor(rnd() * 7) - 3);
    }
    await check(caseOf([{ x, y }], classes), 1e-12);
  });

  it('agrees where the first table has too many overflows and the finer one has none', async () => {
    const rnd = random(16);
    const classes = 1000;
    const targets = 40;
    const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
    const y = pickTargets(rnd, classes, targets);
    x[y[0]!] = valueFor(-2.5);
    x[y[1]!] = valueFor(1.5);
    const lo = thresholdOf(x[y[0]!]!);
    const hi = thresholdOf(x[y[1]!]!);
    const coarse = bucketMap(lo, hi, 32 * targets);
    const fine = bucketMap(lo, hi, 128 * targets);
    // Six pairs 0.6 coarse buckets apart around coarse bucket centres: the same coarse bucket,
    // different fine ones; the other thresholds one per bucket, far from those.
    const centre = (k: number) => (coarse.edge(k - 1) + coarse.edge(k)) / 2;
    const width = coarse.edge(101) - coarse.edge(100);
    for (let p = 0; p < 6; p++) {
      x[y[2 + 2 * p]!] = valueFor(Math.fround(centre(20 + 40 * p) - 0.3 * width));
      x[y[3 + 2 * p]!] = valueFor(Math.fround(centre(20 + 40 * p) + 0.3 * width));
    }
    for (let i = 14; i < targets; i++) x[y[i]!] = valueFor(Math.fround(centre(300 + 30 * (i - 14))));
    const thresholds = y.map((c) => thresholdOf(x[c]!));
    const shared = (m: ReturnType<typeof bucketMap>) =>
      thresholds.length - new Set(thresholds.map((t) => m.bucket(t))).size;
    expect(shared(coarse)).toBe(6);
    expect(shared(fine)).toBe(0);
    aimAtThresholds(x, y, rnd);
    await check(caseOf([{ x, y }], classes), 1e-12);
  });

  it('agrees with NaN and infinite values, and with thresholds the table cannot spread', async () => {
    const rnd = random(14);
    const classes = 517;
    const rows = [];
    const specials = [Number.NaN, Infinity, -Infinity, 3e38, -3e38, 1e-40, -1e-40, 0, -0];
    for (let r = 0; r < 12; r++) {
      const x = Array.from({ length: classes }, () => Math.fround(rnd() * 4 - 2));
      const y = pickTargets(rnd, classes, 12 + r * 3);
      const isTarget = new Set(y);
      // Specials among non-targets in the first rows, then at targets (NaN, infinite or huge
      // thresholds), and a row whose thresholds span the whole float range.
      for (let i = 0; i < 6; i++) {
        const d = Math.floor(rnd() * classes);
        if (r < 6 && isTarget.has(d)) continue;
        if (r >= 6 && r < 11) x[y[i]!] = specials[(r + i) % specials.length]!;
        else x[d] = specials[(r + i) % specials.length]!;
      }
      if (r === 11) {
        x[y[0]!] = valueFor(-3e38);
        x[y[1]!] = 3e38;
      }
      rows.push({ x, y });
    }
    // Non-finite rows are summed term by term: compare those at the declared tolerance only.
    await check(caseOf(rows, classes), WASM_CAPABILITIES.tolerance.float32!.rtol);
  });

  it('agrees on offset data and on rows of few classes (C not a multiple of four)', async () => {
    const rnd = random(15);
    for (const [classes, targets, offset] of [
      [37, 20, 0],
      [10, 9, 0],
      [1001, 60, 1e4],
      [1001, 60, -300],
    ] as const) {
      const x = Array.from({ length: classes }, () => Math.fround(offset + rnd() * 4 - 2));
      const y = pickTargets(rnd, classes, targets);
      aimAtThresholds(x, y, rnd);
      await check(caseOf([{ x, y }], classes), 1e-9);
    }
  });
});
