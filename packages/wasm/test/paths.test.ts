import {
  type FloatArray,
  type ILossBackend,
  type Reduction,
  referenceBackward,
  referenceForward,
  validateBackward,
  validateForward,
} from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';
import { random } from './cases.js';

// Every counting path of the kernels (narrow rows of C <= 16 and J <= 8, compare-and-count for
// J <= 8 and up to 24, weighted compare for few distinct thresholds, the bucket table, the
// slotted table over distinct values, binary search; f64's own paths), on uniform and tie-heavy data: forward's loss must equal
// forwardBackward's to the bit, the gradient must equal the reference's exactly (decisions are
// PyTorch's, counts are whole), and the loss must be within the declared tolerance.

type Kind = 'uniform' | 'equal' | 'two' | 'ints' | 'wide-ints' | 'clustered' | 'specials';
const KINDS: readonly Kind[] = ['uniform', 'equal', 'two', 'ints', 'wide-ints', 'clustered', 'specials'];

function makeCase(kind: Kind, batch: number, classes: number, targets: number, f64: boolean, seed: number) {
  const next = random(seed);
  const size = batch * classes;
  const x = f64 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) {
    if (kind === 'uniform' || kind === 'specials') x[i] = next() * 4 - 2;
    else if (kind === 'equal') x[i] = 0.5;
    else if (kind === 'two') x[i] = next() < 0.5 ? 0 : 1;
    else if (kind === 'ints') x[i] = Math.floor(next() * 10) - 5;
    else if (kind === 'wide-ints') x[i] = Math.floor(next() * 100) - 50;
    else x[i] = 1 + Math.floor(next() * 4) * 2 ** -20 + (next() < 0.01 ? next() : 0);
  }
  if (kind === 'specials') {
    for (let n = 0; n < batch; n += 2)
      x[n * classes + Math.floor(next() * classes)] = [NaN, Infinity, -Infinity][n % 3]!;
  }
  const t = new Int32Array(size).fill(-1);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < targets; j++) {
      // Mostly distinct classes, a few duplicated.
      t[n * classes + j] = j > 0 && next() < 0.05 ? t[n * classes + j - 1]! : Math.floor(next() * classes);
    }
  }
  return {
    input: { data: x as FloatArray, shape: [batch, classes] },
    target: { data: t, shape: [batch, classes] },
  };
}

function bits(a: FloatArray): string {
  return Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',');
}

const SHAPES: readonly [number, number, number][] = [
  // The narrow path (C <= 16, J <= 8): a partial last group of every size, none, J = C, J = 8;
  // then the general path for a few classes.
  [9, 10, 2],
  [7, 5, 5],
  [6, 3, 3],
  [8, 16, 4],
  [5, 15, 8],
  [5, 16, 7],
  [4, 17, 4],
  [6, 13, 3],
  [4, 1000, 5],
  [4, 1000, 8],
  [4, 1000, 20],
  [3, 3001, 50],
  [1, 5000, 300],
  [1, 12000, 600],
];

describe('every counting path', () => {
  const backends: ILossBackend[] = [];
  beforeAll(async () => {
    backends.push(await createWasmBackend({ threads: 1 }));
    backends.push(await createWasmBackend({ threads: 1, simdMaxTargets: 0 }));
  });
  afterAll(async () => {
    for (const b of backends) await b.dispose();
  });

  for (const [batch, classes, targets] of SHAPES) {
    it(`${batch}x${classes} J=${targets}: forward's loss is forwardBackward's to the bit; exact gradient; loss within tolerance`, async () => {
      let seed = batch * 1000 + targets;
      for (const kind of KINDS) {
        for (const f64 of [false, true]) {
          const { input, target } = makeCase(kind, batch, classes, targets, f64, seed++);
          const dtype = f64 ? 'float64' : 'float32';
          const { rtol, atol } = WASM_CAPABILITIES.tolerance[dtype]!;
          // Wide rows: one reduction (the reference takes O(N·J·C)); the others are checked above.
          const reductions: Reduction[] = targets >= 300 ? ['sum'] : ['none', 'sum', 'mean'];
          for (const reduction of reductions) {
            const options = { reduction };
            const go = reduction === 'none' ? new Float64Array(batch).map((_, n) => n - 1.5) : [0.75];
            const gradOutput = {
              data: f64 ? Float64Array.from(go) : Float32Array.from(go),
              shape: reduction === 'none' ? [batch] : [],
            };
            const refLoss = referenceForward(validateForward(input, target, options));
            const refGrad = referenceBackward(validateBackward(input, target, gradOutput, options));
            for (const [i, backend] of backends.entries()) {
              const where = `${kind} ${dtype} ${reduction} backend ${i}`;
              const forward = await backend.forward(input, target, options);
              const both = await backend.forwardBackward(input, target, gradOutput, options);
              expect(bits(both.output.data), where).toBe(bits(forward.data));
              expect(bits(both.gradInput.data), where).toBe(bits(refGrad));
              for (let n = 0; n < refLoss.length; n++) {
                const e = refLoss[n]!;
                const a = forward.data[n]!;
                if (Number.isNaN(e) || !Number.isFinite(e))
                  expect(Object.is(a, e) || a === e, where).toBe(true);
                else expect(Math.abs(a - e), where).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
              }
            }
          }
        }
      }
    });
  }
});

/** The row sum of DESIGN §2 in double, term by term with Neumaier compensation (near exact). */
function accurateRowSum(x: Float32Array, t: Int32Array, offset: number, classes: number): number {
  let jn = 0;
  while (jn < classes && t[offset + jn]! >= 0) jn++;
  const isTarget = new Uint8Array(classes);
  for (let j = 0; j < jn; j++) isTarget[t[offset + j]!] = 1;
  let sum = 0;
  let comp = 0;
  for (let j = 0; j < jn; j++) {
    const a = Math.fround(1 - x[offset + t[offset + j]!]!);
    for (let d = 0; d < classes; d++) {
      if (isTarget[d] === 1) continue;
      const term = a + x[offset + d]!;
      if (!(term > 0)) continue;
      const next = sum + term;
      comp += Math.abs(sum) >= term ? sum - next + term : term - next + sum;
      sum = next;
    }
  }
  return sum + comp;
}

describe('float32 sums in double', () => {
  it('J <= 8: each row loss is the double sum rounded once to float32 (no float32 partial sums)', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    let mismatches = 0;
    let rows = 0;
    for (const targets of [1, 3, 5, 8]) {
      for (const classes of [16, 100, 1000]) {
        const batch = 200;
        const next = random(targets * 7 + classes);
        // Scores of many magnitudes, so that float32 partial sums would round often.
        const x = new Float32Array(batch * classes).map(
          () => (next() - 0.3) * 2 ** Math.floor(next() * 12 - 4),
        );
        const t = new Int32Array(batch * classes).fill(-1);
        for (let n = 0; n < batch; n++)
          for (let j = 0; j < targets; j++) t[n * classes + j] = (n * 7 + j * 13) % classes;
        const out = await backend.forward(
          { data: x, shape: [batch, classes] },
          { data: t, shape: [batch, classes] },
          { reduction: 'none' },
        );
        for (let n = 0; n < batch; n++) {
          rows++;
          if (out.data[n] !== Math.fround(accurateRowSum(x, t, n * classes, classes) / classes)) mismatches++;
        }
      }
    }
    expect(rows).toBe(2400);
    expect(mismatches).toBe(0);
    await backend.dispose();
  });
});
