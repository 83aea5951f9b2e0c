import {
  type FloatArray,
  type LossOptions,
  referenceBackward,
  referenceForward,
  type Tensor,
  validateBackward,
  validateForward,
} from '@mlml/core-spec';
import { expect } from 'vitest';
import { WEBGPU_CAPABILITIES, type WebGpuBackend } from '../src/index.ts';

const TOLERANCE = WEBGPU_CAPABILITIES.tolerance.float32 ?? { rtol: 0, atol: 0 };

/** A float32 call to check against the reference. */
export interface Case {
  readonly input: Tensor<Float32Array>;
  readonly target: Tensor<Int32Array>;
  readonly gradOutput?: Tensor<Float32Array>;
  readonly options?: LossOptions;
}

/** The reference's answer for a case (gradOutput defaults to ones of the output's shape). */
export function referenceOf(c: Case): {
  output: FloatArray;
  gradInput: FloatArray;
  gradOutput: Tensor<Float32Array>;
} {
  const context = { backend: 'reference', dtypes: ['float32', 'float64'] as const, disposed: false };
  const forwardProblem = validateForward(c.input, c.target, c.options, context);
  const outputShape = forwardProblem.outputShape;
  const ones = new Float32Array(outputShape.reduce((a, b) => a * b, 1)).fill(1);
  const gradOutput = c.gradOutput ?? { data: ones, shape: [...outputShape] };
  const problem = validateBackward(c.input, c.target, gradOutput, c.options, context);
  return { output: referenceForward(forwardProblem), gradInput: referenceBackward(problem), gradOutput };
}

/**
 * Asserts `actual` agrees with `expected` element by element: NaN with NaN, infinities exactly,
 * zeros exactly (a margin decision or count that differs shows up as a non-zero), the rest within
 * the declared tolerance relative to the element itself.
 */
export function expectClose(actual: FloatArray, expected: FloatArray, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const ok =
      Number.isNaN(e) || !Number.isFinite(e) || e === 0
        ? Object.is(a, e) || (e === 0 && a === 0)
        : Math.abs(a - e) <= TOLERANCE.atol + TOLERANCE.rtol * Math.abs(e);
    // One expect per mismatch only: large tensors would otherwise spend seconds in expect().
    if (!ok) expect.fail(`${label}[${i}]: expected ${e}, got ${a}`);
  }
}

/** Runs forward, backward and forwardBackward on the backend and checks all three. */
export async function expectAgreement(backend: WebGpuBackend, c: Case, label = 'case'): Promise<void> {
  const expected = referenceOf(c);
  const output = await backend.forward(c.input, c.target, c.options);
  expectClose(output.data, expected.output, `${label} forward`);
  const gradInput = await backend.backward(c.input, c.target, expected.gradOutput, c.options);
  expect(gradInput.shape).toEqual(c.input.shape);
  expectClose(gradInput.data, expected.gradInput, `${label} backward`);
  const fused = await backend.forwardBackward(c.input, c.target, c.gradOutput, c.options);
  expectClose(fused.output.data, expected.output, `${label} fused output`);
  expectClose(fused.gradInput.data, expected.gradInput, `${label} fused gradient`);
}

/** A small deterministic generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random `[N, C]` float32 problem with J leading targets per row (then -1). */
export function randomProblem(
  batch: number,
  classes: number,
  targets: number,
  seed: number,
): { input: Tensor<Float32Array>; target: Tensor<Int32Array> } {
  const random = seededRandom(seed);
  const input = new Float32Array(batch * classes);
  for (let i = 0; i < input.length; i++) input[i] = (random() - 0.5) * 4;
  const target = new Int32Array(batch * classes).fill(-1);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < targets; j++) target[n * classes + j] = Math.floor(random() * classes);
  }
  return {
    input: { data: input, shape: [batch, classes] },
    target: { data: target, shape: [batch, classes] },
  };
}
