import { createReferenceBackend } from '@mlml/core-spec';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgreement, TFJS_TOLERANCE } from '../src/agreement.js';
import { seededRandom } from '../src/generateData.js';
import { composedMultilabelMarginLoss, type Tf } from '../src/tfjsComposedLoss.js';
import { loadTfjs, TFJS_PEERS } from '../src/tfjsContender.js';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await loadTfjs());
});

/** Random cases with what the bench generator never makes: -1 in the middle, duplicates, values after -1, J = 0. */
function randomCase(seed: number): {
  input: Float32Array;
  target: Int32Array;
  batch: number;
  classes: number;
} {
  const random = seededRandom(seed);
  const batch = 1 + Math.floor(random() * 6);
  const classes = 1 + Math.floor(random() * 9);
  const input = new Float32Array(batch * classes).map(() => Math.round((random() * 4 - 2) * 8) / 8);
  const target = new Int32Array(batch * classes).map(() => Math.floor(random() * (classes + 1)) - 1);
  return { input, target, batch, classes };
}

describe.each(Object.entries(TFJS_PEERS))('the TF.js composed loss on %s', (_peer, backendName) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backendName)).toBe(true);
  });

  it('gives the seed example: 0.85 and [-0.5, 0.5, 0.5, -0.5]', () => {
    const result = composedMultilabelMarginLoss(
      tf,
      new Float32Array([0.1, 0.2, 0.4, 0.8]),
      new Int32Array([3, 0, -1, 1]),
      1,
      4,
      { withGrad: true },
    );
    expect(result.loss).toBeCloseTo(0.85, 6);
    expect([...result.gradInput!]).toEqual([-0.5, 0.5, 0.5, -0.5]);
  });

  it('matches the reference on 60 small random cases (ties, -1 anywhere, duplicates)', async () => {
    const reference = createReferenceBackend();
    for (let seed = 1; seed <= 60; seed++) {
      const { input, target, batch, classes } = randomCase(seed);
      const x = { data: input, shape: [batch, classes] };
      const y = { data: target, shape: [batch, classes] };
      const expected = await reference.forwardBackward(x, y);
      // Small chunks also exercise the row chunking.
      const actual = composedMultilabelMarginLoss(tf, input, target, batch, classes, {
        withGrad: true,
        chunkElements: seed % 2 === 0 ? 8 : 2 ** 22,
      });
      checkAgreement(
        backendName,
        `seed ${seed}`,
        { output: expected.output.data, gradInput: expected.gradInput.data },
        { output: [actual.loss], gradInput: actual.gradInput! },
        TFJS_TOLERANCE,
      );
      const forwardOnly = composedMultilabelMarginLoss(tf, input, target, batch, classes, {
        withGrad: false,
      });
      expect(forwardOnly.gradInput).toBeNull();
      expect(forwardOnly.loss).toBeCloseTo(actual.loss, 6);
    }
  });

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const target = new Int32Array([1, 2, -1, 0, 1, 2, -1, 0, 1, 2, -1, 0]);
    composedMultilabelMarginLoss(tf, new Float32Array(12).fill(0.5), target, 3, 4, {
      withGrad: true,
      chunkElements: 8,
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
