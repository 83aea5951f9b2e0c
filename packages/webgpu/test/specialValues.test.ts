import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.ts';
import { expectAgreement, randomProblem, referenceOf } from './helpers.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = await createWebGpuBackend();
});
afterAll(async () => {
  await backend?.dispose();
});

const NAN = Number.NaN;
const INF = Number.POSITIVE_INFINITY;
const row = (values: number[], targets: number[]) => ({
  input: { data: new Float32Array(values), shape: [1, values.length] },
  target: { data: new Int32Array(targets), shape: [1, targets.length] },
});

describe('float32 margins decided on bits, as PyTorch decides them', () => {
  it('borderline: fl(1 - x[y]) rounding to 1 makes a positive real margin 0 (not counted)', async () => {
    // a = fl(1 + 1e-8) = 1, so a + (-1) = 0 does not count, though 1 + 1e-8 - 1 > 0 in reals;
    // -0.99999994 counts with the term 2^-24.
    const c = row([-1e-8, -1, 1 - 2 ** -24, -0.99999994], [0, -1, -1, -1]);
    const expected = referenceOf(c);
    expect(Array.from(expected.gradInput)).toEqual([Math.fround(-2 / 4), 0, 0.25, 0.25]);
    await expectAgreement(backend, c, 'borderline');
    const gradient = await backend.backward(c.input, c.target, { data: new Float32Array([1]), shape: [] });
    expect(gradient.data[1]).toBe(0);
  });

  it('borderline around a = -2^-23: a + x[d] equal to 0 never counts, the next float up does', async () => {
    const c = row([1 + 2 ** -23, 2 ** -23, 2 ** -23 + 2 ** -46, 2 ** -24], [0, -1, 2, 1]);
    await expectAgreement(backend, { ...c, options: { reduction: 'sum' } }, 'tiny margins');
  });

  it('NaN never counts, at a target or elsewhere', async () => {
    await expectAgreement(backend, row([NAN, 0.5, 0.25, -3], [0, -1, 0, 0]), 'NaN target');
    await expectAgreement(backend, row([0.5, NAN, 0.25, 2], [0, -1, 0, 0]), 'NaN non-target');
    const loss = await backend.forward(
      row([0.5, NAN, NAN], [0, -1, 0]).input,
      row([0.5, NAN, NAN], [0, -1, 0]).target,
    );
    expect(loss.data[0]).toBe(0);
  });

  it('±inf as the strict comparison says', async () => {
    // +inf at a non-target: term +inf, loss +inf; -inf at a non-target never counts.
    await expectAgreement(backend, row([0.5, INF, -INF, 0.25], [0, -1, 0, 0]), '+inf non-target');
    // +inf at the target: a = -inf, nothing counts (not even +inf: -inf + inf is NaN).
    await expectAgreement(backend, row([INF, INF, 3, -INF], [0, -1, 0, 0]), '+inf target');
    // -inf at the target: a = +inf, everything but NaN and -inf counts, loss +inf.
    await expectAgreement(backend, row([-INF, 1, -INF, NAN, 1e30], [0, -1, 0, 0, 0]), '-inf target');
    const loss = await backend.forward(
      row([-INF, 1, -INF], [0, -1, 0]).input,
      row([-INF, 1, -INF], [0, -1, 0]).target,
    );
    expect(loss.data[0]).toBe(INF);
  });

  it('terms and sums beyond float32 range are kept (in double, as DESIGN §2), rounded once', async () => {
    // a + x = 6e38 is no float32, but 6e38 / 3 is.
    await expectAgreement(backend, row([-3e38, 3e38, 1], [0, -1, 0]), 'term beyond float32');
    // 3 * 3.4e38 / 5 is a float32.
    await expectAgreement(
      backend,
      row([-1.7e38, 1.7e38, 1.7e38, 1.7e38, 0], [0, -1, 0, 0, 0]),
      'sum overflow',
    );
    // Terms from 2^40 up go through the exactly scaled sum.
    await expectAgreement(
      backend,
      row([-1e20, 1e20, 3e12, -7e15, 2 ** 41, 0.5], [0, 5, -1, 0, 0, 0]),
      'large terms',
    );
  });

  it('huge and tiny terms in one row keep the tiny ones (double-float sum)', async () => {
    // Target x[0] = 1 gives a = 0: one term 2^30 and 10,000 terms 1. A float32 sum loses the ones.
    const classes = 10_002;
    const values = new Array<number>(classes).fill(1);
    values[1] = 2 ** 30;
    const targets = new Array<number>(classes).fill(-1);
    targets[0] = 0;
    const c = { ...row(values, targets), options: { reduction: 'sum' as const } };
    const expected = referenceOf(c);
    expect(expected.output[0]).toBe(Math.fround((2 ** 30 + 10_000) / classes));
    const loss = await backend.forward(c.input, c.target, c.options);
    expect(loss.data[0]).toBe(expected.output[0]);
  });

  it('subnormal inputs are within the declared absolute tolerance', async () => {
    await expectAgreement(backend, row([1, 1e-40, -1e-40, 1e-45, 0], [0, -1, 0, 0, 0]), 'subnormal');
  });

  it('gradients with NaN, infinite, negative and zero grad_output', async () => {
    const c = {
      input: {
        data: new Float32Array([0.1, 0.2, 0.4, 0.8, 1, 2, 3, 4, 0.5, 0.5, 0.5, 0.5, 1, 0, 1, 0]),
        shape: [4, 4],
      },
      target: { data: new Int32Array([3, 0, -1, 1, 2, -1, 0, 0, 1, 1, 3, -1, 0, -1, 0, 0]), shape: [4, 4] },
      options: { reduction: 'none' as const },
    };
    for (const g of [
      [NAN, 1, -1, 0],
      [INF, -INF, 0, -0],
      [-2, 0, 3e38, 1e-30],
    ]) {
      await expectAgreement(
        backend,
        { ...c, gradOutput: { data: new Float32Array(g), shape: [4] } },
        `grad ${g}`,
      );
    }
  });

  it('is deterministic: repeated calls give bit-identical results', async () => {
    const { input, target } = randomProblem(64, 300, 12, 7);
    const runs = [];
    for (let i = 0; i < 4; i++)
      runs.push(await backend.forwardBackward(input, target, undefined, { reduction: 'sum' }));
    const bytes = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    for (const r of runs.slice(1)) {
      expect(bytes(r.output.data as Float32Array)).toEqual(bytes(runs[0]?.output.data as Float32Array));
      expect(bytes(r.gradInput.data as Float32Array)).toEqual(bytes(runs[0]?.gradInput.data as Float32Array));
    }
    await expectAgreement(backend, { input, target, options: { reduction: 'mean' } }, 'random 64x300');
  });
});
