import type { FloatArray, ILossBackend } from '@mlml/core-spec';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';
import { type Case, caseArbitrary, closeValues, referenceOf, sameValues } from './cases.js';

/** The same backend forced onto each counting scheme: sorted only, default crossover, SIMD only. */
const VARIANTS = { sorted: 0, default: undefined, simd: 1_000_000 } as const;
const backends = new Map<string, ILossBackend>();

beforeAll(async () => {
  for (const [name, simdMaxTargets] of Object.entries(VARIANTS)) {
    backends.set(name, await createWasmBackend(simdMaxTargets === undefined ? {} : { simdMaxTargets }));
  }
});
afterAll(async () => {
  for (const backend of backends.values()) await backend.dispose();
});

function snapshot(c: Case): FloatArray[] {
  return [c.input.data.slice(), c.gradOutput.data.slice()];
}

async function checkCase(c: Case): Promise<void> {
  const expected = referenceOf(c);
  const tolerance =
    WASM_CAPABILITIES.tolerance[c.input.data instanceof Float32Array ? 'float32' : 'float64']!;
  const before = snapshot(c);
  const targetBefore = c.target.data.slice();
  for (const [name, backend] of backends) {
    const output = await backend.forward(c.input, c.target, c.options);
    const outputProblem = closeValues(output.data, expected.output, tolerance.rtol, tolerance.atol);
    expect(outputProblem, `${name} forward`).toBeUndefined();
    const grad = await backend.backward(c.input, c.target, c.gradOutput, c.options);
    expect(sameValues(grad.data, expected.gradInput), `${name} backward`).toBeUndefined();
    expect(grad.shape).toEqual(c.input.shape);
    const both = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
    // The fused pass sums in another order than forward's (which needs no counts): both within tolerance.
    const bothProblem = closeValues(both.output.data, expected.output, tolerance.rtol, tolerance.atol);
    expect(bothProblem, `${name} forwardBackward output`).toBeUndefined();
    expect(
      sameValues(both.gradInput.data, expected.gradInput),
      `${name} forwardBackward grad`,
    ).toBeUndefined();
    expect(both.output.data.constructor).toBe(c.input.data.constructor);
  }
  const after = snapshot(c);
  expect(sameValues(after[0]!, before[0]!)).toBeUndefined();
  expect(sameValues(after[1]!, before[1]!)).toBeUndefined();
  expect(c.target.data).toEqual(targetBefore);
}

describe('wasm agrees with the core-spec reference', () => {
  it('on thousands of random small cases (both dtypes, ranks 0/1/2, every option, specials)', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary(40, 5), checkCase), { numRuns: 2500, seed: 4242 });
  });

  it('on wide rows (C up to 300, J from 0 to C)', async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary(300, 3), checkCase), { numRuns: 300, seed: 7 });
  });
});
