import {
  allocate,
  type BackwardProblem,
  createReferenceBackend,
  LossBackend,
  type Problem,
  referenceBackward,
  referenceForward,
  registerBackend,
  unregisterBackend,
} from '@mlml/core-spec';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkAgreement,
  compareArrays,
  DisagreementError,
  repeatedAdditionTolerance,
} from '../src/agreement.js';
import { runBench } from '../src/runBench.js';

const tolerance = { rtol: 1e-5, atol: 0 };

describe('compareArrays', () => {
  it('accepts differences within rtol of the array scale, even on tiny elements', () => {
    const expected = [100, 1e-9];
    expect(compareArrays('output', expected, [100.0009, 1e-9 + 5e-4], tolerance).mismatchCount).toBe(0);
    const result = compareArrays('output', expected, [100.0011, 1e-9], tolerance);
    expect(result.mismatchCount).toBe(1);
    expect(result.mismatches[0]).toMatchObject({ index: 0, expected: 100, actual: 100.0011 });
  });

  it('requires non-finite values to match exactly and lengths to agree', () => {
    expect(
      compareArrays('output', [Number.NaN, Infinity], [Number.NaN, Infinity], tolerance).mismatchCount,
    ).toBe(0);
    expect(compareArrays('output', [Number.NaN], [0], tolerance).mismatchCount).toBe(1);
    expect(compareArrays('output', [1], [Number.NaN], tolerance).mismatchCount).toBe(1);
    expect(compareArrays('output', [Infinity], [-Infinity], tolerance).mismatchCount).toBe(1);
    expect(compareArrays('gradInput', [1, 2], [1], tolerance).mismatches[0]).toMatchObject({ index: -1 });
  });

  it('widens the gradient tolerance of a repeated float32 accumulation with C, and only the gradient', () => {
    expect(repeatedAdditionTolerance('float32', 10).rtol).toBe(1e-5);
    expect(repeatedAdditionTolerance('float32', 100000).rtol).toBeCloseTo(100000 * 2 ** -24, 12);
    expect(repeatedAdditionTolerance('float64', 100000).rtol).toBe(1e-10);
    const split = { output: tolerance, gradInput: repeatedAdditionTolerance('float32', 10000) };
    const expected = { output: [1], gradInput: [0.004, -0.002] };
    expect(() =>
      checkAgreement('torch', 'c', expected, { output: [1], gradInput: [0.004, -0.0020008] }, split),
    ).not.toThrow();
    expect(() =>
      checkAgreement('torch', 'c', expected, { output: [1.0001], gradInput: [0.004, -0.002] }, split),
    ).toThrow(/output\[0\]/);
    expect(() =>
      checkAgreement('torch', 'c', expected, { output: [1], gradInput: [0.004, -0.00201] }, split),
    ).toThrow(/gradInput\[1\]/);
  });

  it('checkAgreement reports a missing gradient and every differing number', () => {
    expect(() =>
      checkAgreement('x', 'case', { output: [1], gradInput: [1, 2] }, { output: [1] }, tolerance),
    ).toThrow(DisagreementError);
    try {
      checkAgreement('bad', 'small float32 forward', { output: [0.85] }, { output: [0.8] }, tolerance);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DisagreementError);
      expect((error as Error).message).toMatch(/bad disagrees .* small float32 forward/);
      expect((error as Error).message).toContain('got 0.8, expected 0.85');
    }
  });
});

/**
 * Plausible bugs: the forward loop stops one class short (`d < C - 1`: the last class never counts
 * as a non-target), and the gradient forgets the `-g` at the targets.
 */
function createWrongBackend(name: string): LossBackend {
  const reference = createReferenceBackend();
  return new LossBackend(name, reference.capabilities, {
    forward: (problem: Problem) => {
      const input = problem.input.slice();
      for (let n = 0; n < problem.batch; n++) input[(n + 1) * problem.classes - 1] = -1e30;
      return referenceForward({ ...problem, input });
    },
    backward: (problem: BackwardProblem) => referenceBackward(problem),
    forwardBackward: (problem: BackwardProblem) => {
      const gradInput = referenceBackward(problem);
      const wrong = allocate(problem.dtype, gradInput.length);
      for (let i = 0; i < gradInput.length; i++) wrong[i] = Math.max(0, gradInput[i]!);
      return { output: referenceForward(problem), gradInput: wrong };
    },
  });
}

describe('the bench stops on a wrong implementation', () => {
  afterAll(() => {
    unregisterBackend('wrong-forward');
  });

  it('stops with the numbers that differ, before timing anything', async () => {
    registerBackend('wrong-forward', () => createWrongBackend('wrong-forward'));
    const lines: string[] = [];
    const run = runBench({
      backends: ['wrong-forward'],
      peers: [],
      shapes: ['small'],
      jsonPath: null,
      timeMs: 5,
      log: (line) => lines.push(line),
      print: () => {},
    });
    await expect(run).rejects.toThrow(DisagreementError);
    await expect(run).rejects.toThrow(
      /wrong-forward disagrees .*small .*float32 forward.*\n {2}output\[0\]: got/,
    );
    expect(lines.some((line) => line.includes('left]'))).toBe(false);
  });

  it('also catches a wrong gradient when the loss is right', async () => {
    const broken = createWrongBackend('wrong-gradient');
    const rightForward = new LossBackend('wrong-gradient', broken.capabilities, {
      forward: (problem) => referenceForward(problem),
      backward: (problem) => referenceBackward(problem),
      forwardBackward: async (problem) => {
        const { gradInput } = await broken.forwardBackward(
          { data: problem.input, shape: [problem.batch, problem.classes] },
          { data: problem.target, shape: [problem.batch, problem.classes] },
        );
        return { output: referenceForward(problem), gradInput: gradInput.data };
      },
    });
    registerBackend('wrong-gradient', () => rightForward);
    try {
      await expect(
        runBench({
          backends: ['wrong-gradient'],
          peers: [],
          shapes: ['small'],
          jsonPath: null,
          log: () => {},
          print: () => {},
        }),
      ).rejects.toThrow(
        /wrong-gradient disagrees .*forward-backward.*\n {2}gradInput\[\d+\]: got 0, expected -/,
      );
    } finally {
      unregisterBackend('wrong-gradient');
    }
  });
});
