import type { Dtype } from '@mlml/core-spec';

/** What an implementation computed for one case and mode: the loss and, with backward, its gradient. */
export interface CaseValues {
  /** The forward output data (one value: the bench uses `reduction: 'mean'`). */
  readonly output: ArrayLike<number>;
  /** The gradient w.r.t. the input (forward+backward only). */
  readonly gradInput?: ArrayLike<number>;
}

/** `|actual - expected| <= atol + rtol * scale`, where `scale` is the largest finite |expected| of the array. */
export interface AgreementTolerance {
  /** Relative to the array's scale. */
  readonly rtol: number;
  /** Absolute. */
  readonly atol: number;
}

/** The bench's tolerance for its own backends and PyTorch, per dtype (a backend's declared one may widen it). */
export const DEFAULT_TOLERANCE: Readonly<Record<Dtype, AgreementTolerance>> = {
  float32: { rtol: 1e-5, atol: 0 },
  float64: { rtol: 1e-10, atol: 0 },
};

/**
 * The tolerance for TF.js: its composed loss sums float32 terms in float32 (on tfjs-backend-wasm)
 * and accumulates the gradient as repeated float32 additions of 1/(N·C), so it is looser.
 */
export const TFJS_TOLERANCE: AgreementTolerance = { rtol: 1e-4, atol: 0 };

/** A tolerance for the whole case, or one for the loss and another for the gradient. */
export type CaseTolerance =
  | AgreementTolerance
  | { readonly output: AgreementTolerance; readonly gradInput: AgreementTolerance };

/**
 * The tolerance of a gradient accumulated by repeated addition of ±g in the dtype itself, as
 * PyTorch's CPU backward does (`grad[y] -= g` once per counted pair): after up to C additions the
 * relative error can reach about C units of roundoff, so the bench's tolerance is widened to that.
 */
export function repeatedAdditionTolerance(dtype: Dtype, classes: number): AgreementTolerance {
  const unitRoundoff = dtype === 'float32' ? 2 ** -24 : 2 ** -53;
  return { rtol: Math.max(DEFAULT_TOLERANCE[dtype].rtol, classes * unitRoundoff), atol: 0 };
}

/** The wider of two tolerances. */
export function widerTolerance(a: AgreementTolerance, b: AgreementTolerance | undefined): AgreementTolerance {
  return b === undefined ? a : { rtol: Math.max(a.rtol, b.rtol), atol: Math.max(a.atol, b.atol) };
}

/** One element that differs by more than the tolerance. */
export interface Mismatch {
  /** Which array. */
  readonly quantity: 'output' | 'gradInput';
  /** Index in the flat array (-1: the lengths differ). */
  readonly index: number;
  /** The reference's value (for a length mismatch: the reference's length). */
  readonly expected: number;
  /** The implementation's value (for a length mismatch: its length). */
  readonly actual: number;
  /** The largest difference the tolerance allows at that index. */
  readonly allowed: number;
}

/** The result of comparing one array. */
export interface Comparison {
  /** The first few mismatches (at most `limit`). */
  readonly mismatches: readonly Mismatch[];
  /** How many elements differ in all. */
  readonly mismatchCount: number;
  /** The largest |actual - expected| / scale seen (0 when equal), for the record. */
  readonly maxRelativeError: number;
}

function isSameNonFinite(expected: number, actual: number): boolean {
  return Number.isNaN(expected) ? Number.isNaN(actual) : expected === actual;
}

/** Compares one array with the reference's. */
export function compareArrays(
  quantity: Mismatch['quantity'],
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  tolerance: AgreementTolerance,
  limit = 5,
): Comparison {
  if (expected.length !== actual.length) {
    return {
      mismatches: [{ quantity, index: -1, expected: expected.length, actual: actual.length, allowed: 0 }],
      mismatchCount: 1,
      maxRelativeError: Number.POSITIVE_INFINITY,
    };
  }
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const magnitude = Math.abs(expected[i]!);
    if (Number.isFinite(magnitude) && magnitude > scale) scale = magnitude;
  }
  const allowed = tolerance.atol + tolerance.rtol * scale;
  const mismatches: Mismatch[] = [];
  let mismatchCount = 0;
  let maxRelativeError = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    let ok: boolean;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      ok = isSameNonFinite(e, a);
    } else {
      const difference = Math.abs(a - e);
      ok = difference <= allowed;
      if (scale > 0) maxRelativeError = Math.max(maxRelativeError, difference / scale);
      else if (difference > 0) maxRelativeError = Number.POSITIVE_INFINITY;
    }
    if (!ok) {
      mismatchCount++;
      if (mismatches.length < limit) mismatches.push({ quantity, index: i, expected: e, actual: a, allowed });
    }
  }
  return { mismatches, mismatchCount, maxRelativeError };
}

/** Thrown when an implementation disagrees with the reference: the bench stops, showing the numbers. */
export class DisagreementError extends Error {
  /** The implementation that disagreed. */
  readonly implementation: string;
  /** The case (shape, dtype, mode). */
  readonly caseLabel: string;
  /** The first differing elements. */
  readonly mismatches: readonly Mismatch[];

  constructor(implementation: string, caseLabel: string, comparisons: readonly Comparison[]) {
    const mismatches = comparisons.flatMap((c) => c.mismatches);
    const lines = mismatches.map((m) =>
      m.index < 0
        ? `  ${m.quantity}: length ${m.actual}, expected ${m.expected}`
        : `  ${m.quantity}[${m.index}]: got ${m.actual}, expected ${m.expected} (allowed difference ${m.allowed.toExponential(2)})`,
    );
    const total = comparisons.reduce((sum, c) => sum + c.mismatchCount, 0);
    super(
      `${implementation} disagrees with the reference on ${caseLabel}: ${total} element(s) differ\n${lines.join('\n')}`,
    );
    this.name = 'DisagreementError';
    this.implementation = implementation;
    this.caseLabel = caseLabel;
    this.mismatches = mismatches;
  }
}

/** What {@link checkAgreement} observed when the values agree. */
export interface AgreementRecord {
  /** Largest relative (to scale) error of the output. */
  readonly output: number;
  /** Largest relative (to scale) error of the gradient, when there is one. */
  readonly gradInput?: number;
}

/**
 * Checks an implementation's values against the reference's.
 * @throws {DisagreementError} with the differing numbers, when any element is out of tolerance or
 *   a gradient is missing.
 */
export function checkAgreement(
  implementation: string,
  caseLabel: string,
  expected: CaseValues,
  actual: CaseValues,
  tolerance: CaseTolerance,
): AgreementRecord {
  const { output: outputTolerance, gradInput: gradientTolerance } =
    'output' in tolerance ? tolerance : { output: tolerance, gradInput: tolerance };
  const comparisons = [compareArrays('output', expected.output, actual.output, outputTolerance)];
  if (expected.gradInput !== undefined) {
    comparisons.push(
      compareArrays('gradInput', expected.gradInput, actual.gradInput ?? [], gradientTolerance),
    );
  }
  if (comparisons.some((c) => c.mismatchCount > 0)) {
    throw new DisagreementError(implementation, caseLabel, comparisons);
  }
  const [output, gradient] = comparisons;
  return gradient === undefined
    ? { output: output!.maxRelativeError }
    : { output: output!.maxRelativeError, gradInput: gradient.maxRelativeError };
}
