import {
  createReferenceBackend,
  LossBackend,
  LossError,
  type LossErrorCode,
  type LossKernel,
  REFERENCE_CAPABILITIES,
  referenceKernel,
} from '@mlml/core-spec';
import { describe, expect, test } from 'vitest';
import type { CallRecipe } from '../src/CallRecipe.js';
import { FuzzTally } from '../src/FuzzTally.js';
import { fuzzBackend } from '../src/fuzzBackend.js';
import { CI_SEED } from '../src/fuzzSettings.js';
import { materialize } from '../src/materialize.js';
import { type FindingKind, runGroup } from '../src/runGroup.js';

/** A valid call: 3 x 5 float32, sum, forward and gradient, out arrays held at an offset. */
const VALID: CallRecipe = {
  api: 'backend',
  method: 'forwardBackward',
  dtype: 'float32',
  rank: 2,
  batch: 3,
  classes: 5,
  maxTargets: 3,
  style: 'uniform',
  seed: 7,
  reduction: 'sum',
  storage: { input: 'own', target: 'own', grad: 'own' },
  out: 'both',
  outStorage: 'offset',
  lossTarget: 'int32',
  corruptions: [],
  rewrite: false,
};

function broken(kernel: Partial<LossKernel>): LossBackend {
  return new LossBackend('broken', REFERENCE_CAPABILITIES, { ...referenceKernel, ...kernel });
}

async function kindsFound(backend: LossBackend, recipe: CallRecipe = VALID): Promise<FindingKind[]> {
  const context = { backend, reference: createReferenceBackend(), tally: new FuzzTally(), timeoutMs: 300 };
  return (await runGroup({ calls: [recipe] }, context)).map((f) => f.kind);
}

describe('the fuzzer catches broken backends', () => {
  test('a healthy backend (the reference itself) gives no finding on the valid call', async () => {
    expect(await kindsFound(createReferenceBackend() as LossBackend)).toEqual([]);
  });

  test('an input mutated by the kernel', async () => {
    const backend = broken({
      forwardBackward: (problem) => {
        const result = referenceKernel.forwardBackward(problem) as ReturnType<
          typeof referenceKernel.forwardBackward
        >;
        problem.input[0] = 42;
        return result;
      },
    });
    expect(await kindsFound(backend)).toContain('INPUT_MUTATED');
  });

  test('a loss off by 0.1%', async () => {
    const backend = broken({
      forwardBackward: (problem) => {
        const { output, gradInput } = referenceKernel.forwardBackward(problem) as {
          output: Float32Array;
          gradInput: Float32Array;
        };
        output[0] = output[0]! * 1.001;
        return { output, gradInput };
      },
    });
    expect(await kindsFound(backend)).toEqual(['WRONG_RESULT']);
  });

  test('a TypeError, an undocumented code, a wrong code and a hang', async () => {
    const throwing = broken({
      forwardBackward: () => {
        throw new TypeError('boom');
      },
    });
    expect(await kindsFound(throwing)).toEqual(['UNTYPED_ERROR']);
    const undocumented = broken({
      forwardBackward: () => {
        throw new LossError('OUT_OF_CHEESE' as LossErrorCode, 'no');
      },
    });
    expect(await kindsFound(undocumented)).toEqual(['UNDOCUMENTED_CODE']);
    const wrongCode = broken({
      forwardBackward: () => {
        throw new LossError('INVALID_SHAPE', 'no');
      },
    });
    expect(await kindsFound(wrongCode)).toEqual(['REJECTED_BUT_REFERENCE_RESOLVES']);
    const hanging = broken({ forwardBackward: () => new Promise(() => {}) });
    expect(await kindsFound(hanging)).toEqual(['TIMEOUT']);
  });

  test("bytes written around the caller's out array", async () => {
    const backend = broken({
      forwardBackward: (problem) => {
        const result = referenceKernel.forwardBackward(problem) as ReturnType<
          typeof referenceKernel.forwardBackward
        >;
        const out = problem.out?.output;
        if (out !== undefined) new Uint8Array(out.buffer).fill(0);
        return result;
      },
    });
    expect(await kindsFound(backend)).toContain('OUT_GUARD_WRITTEN');
  });

  test("a kernel that reads the caller's arrays after the call returned (the caller rewrites them)", async () => {
    const late = broken({
      forwardBackward: async (problem) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return referenceKernel.forwardBackward(problem);
      },
    });
    expect(await kindsFound(late, { ...VALID, rewrite: true })).toContain('WRONG_RESULT');
    // Without the rewrite, the same kernel is fine.
    expect(await kindsFound(late)).toEqual([]);
  });

  test('a shape read again after validation (a Proxy answering 7 on the second read)', async () => {
    const live = materialize({ ...VALID, corruptions: ['input:shapeProxy'] }, false);
    const backend = broken({});
    const result = (await live.invoke(backend)) as { gradInput: { shape: number[] } };
    // Validation reads the shape once: the gradient has the true shape.
    expect(result.gradInput.shape).toEqual([3, 5]);
  });

  test('fuzzBackend counts every call and reports nothing for a healthy backend', async () => {
    const tally = new FuzzTally();
    const settings = { runs: 25, seed: CI_SEED, timeoutMs: 10_000, budgetMs: 60_000, long: false };
    const findings = await fuzzBackend(createReferenceBackend(), 'backend', settings, tally);
    expect(findings).toEqual([]);
    expect(tally.calls).toBeGreaterThanOrEqual(25);
    const rejected = [...tally.rejections.values()].reduce((a, b) => a + b, 0);
    expect(tally.results + rejected).toBe(tally.calls);
  });
});
