import { createBackend, listBackends } from '@mlml/loss';
import { describe, expect, it } from 'vitest';
import { assertAgreesWithReference } from '../src/agreement.ts';
import { createReferenceBackend } from '../src/index.ts';
import { BROKEN_BACKENDS } from './brokenBackends.ts';

/** SwiftShader runs WebGPU on the CPU: keep its property runs modest. */
const RUNS: Record<string, number> = { webgpu: 200 };
const CPU_RUNS = 500;

describe('every registered backend agrees with the reference on random calls', () => {
  for (const { name } of listBackends()) {
    it(`${name}`, async () => {
      const backend = await createBackend(name);
      try {
        await assertAgreesWithReference(backend, { numRuns: RUNS[name] ?? CPU_RUNS });
      } finally {
        await backend.dispose();
      }
    });
  }
});

describe('the property test has teeth', () => {
  it('passes the reference against itself', async () => {
    await assertAgreesWithReference(createReferenceBackend(), { numRuns: 200 });
  });

  const mustCatch = [
    'margin test in double for float32',
    '>= instead of >',
    'NaN terms counted (propagated)',
    'duplicated targets counted once',
    'values after the first -1 used',
    'mean divided by N·C twice',
    'gradient sign flipped',
    'grad_output ignored',
    'legacy options ignored',
    'target range not checked after the first -1',
  ];
  for (const bug of mustCatch) {
    it(`catches: ${bug}`, async () => {
      const make = BROKEN_BACKENDS[bug];
      expect(make, bug).toBeDefined();
      await expect(assertAgreesWithReference(make!(), { numRuns: 500 })).rejects.toThrow(
        /disagrees|Property failed/,
      );
    });
  }
});
