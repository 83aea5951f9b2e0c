/*
 * Deliberately broken backends, each a plausible real bug, for the suite's own test: a correct
 * O(N·J·C) kernel with one flag flipped, or a correct backend behind a wrapper that breaks its
 * validation, shapes or state rules.
 */
import {
  allocate,
  type BackwardProblem,
  type FloatArray,
  type ForwardBackwardResult,
  type ILossBackend,
  LossBackend,
  LossError,
  type LossKernel,
  type LossOptions,
  type Problem,
  type Tensor,
  targetOutOfRangeError,
} from '@mlml/core-spec';
import { createReferenceBackend, REFERENCE_CAPABILITIES } from '../src/index.ts';

interface Bugs {
  /** Margin test `1 - x[y] + x[d] > 0` in double even for float32. */
  marginInDouble?: boolean;
  /** `>=` instead of `>`. */
  countZeroTerms?: boolean;
  /** NaN terms count (`!(z <= 0)`). */
  nanCounts?: boolean;
  /** Targets deduplicated before the j loop. */
  duplicatesOnce?: boolean;
  /** -1 entries skipped instead of ending the target list. */
  valuesAfterMinusOne?: boolean;
  /** Only the first target considered. */
  firstTargetOnly?: boolean;
  /** Mean divided by N·C a second time, or not divided at all. */
  mean?: 'twice' | 'never';
  /** 'none' not divided by C. */
  noneNotDividedByC?: boolean;
  /** Gradient sign flipped. */
  gradientSign?: boolean;
  /** grad_output not applied. */
  gradOutputIgnored?: boolean;
  /** The -g at the target forgotten. */
  noTargetGradient?: boolean;
  /** forwardBackward writes its gradient into the input buffer. */
  gradientIntoInput?: boolean;
  /** The gradient always uses the mean's g. */
  gradientAlwaysMean?: boolean;
  /** float32 row sums accumulated in float32 (each term and partial sum rounded), not in double. */
  float32Sums?: boolean;
  /** forwardBackward sums each row's terms in reverse order (a fused pass's own order). */
  fusedReverseOrder?: boolean;
  /** Problems of more than this many elements lose their last row (a split forgetting its last chunk). */
  lastRowLostPast?: number;
  /** The gradient is added to the caller's out array instead of written (its stale contents leak). */
  accumulateIntoOut?: boolean;
}

function buggyKernel(bugs: Bugs): LossKernel {
  const visit = (problem: Problem, row: number, pair: (y: number, d: number, term: number) => void) => {
    const { input, target, classes, dtype } = problem;
    const round = dtype === 'float32' && !bugs.marginInDouble ? Math.fround : (v: number) => v;
    const offset = row * classes;
    let targets: number[] = [];
    for (let j = 0; j < classes; j++) {
      const y = target[offset + j]!;
      if (y < 0) {
        if (bugs.valuesAfterMinusOne) continue;
        break;
      }
      targets.push(y);
    }
    if (bugs.duplicatesOnce) targets = [...new Set(targets)];
    if (bugs.firstTargetOnly) targets = targets.slice(0, 1);
    const isTarget = new Set(targets);
    for (const y of targets) {
      const a = round(1 - input[offset + y]!);
      for (let d = 0; d < classes; d++) {
        if (isTarget.has(d)) continue;
        const term = round(a + input[offset + d]!);
        const counted = bugs.countZeroTerms ? term >= 0 : bugs.nanCounts ? !(term <= 0) : term > 0;
        if (counted) pair(y, d, term);
      }
    }
  };
  const rowsComputed = (problem: Problem) =>
    bugs.lastRowLostPast !== undefined && problem.batch * problem.classes > bugs.lastRowLostPast
      ? problem.batch - 1
      : problem.batch;
  const forward = (problem: Problem, reverse = false): FloatArray => {
    const { batch, classes, reduction, dtype } = problem;
    const sums = new Float64Array(batch);
    const single = bugs.float32Sums && dtype === 'float32';
    for (let n = 0; n < rowsComputed(problem); n++) {
      if (!reverse) {
        visit(problem, n, (_y, _d, term) => {
          sums[n] = single ? Math.fround(sums[n]! + Math.fround(term)) : sums[n]! + term;
        });
        continue;
      }
      const terms: number[] = [];
      visit(problem, n, (_y, _d, term) => {
        terms.push(term);
      });
      for (let k = terms.length - 1; k >= 0; k--) sums[n] = sums[n]! + (terms[k] ?? 0);
    }
    if (reduction === 'none') {
      const out = allocate(dtype, batch);
      for (let n = 0; n < batch; n++) out[n] = bugs.noneNotDividedByC ? sums[n]! : sums[n]! / classes;
      return out;
    }
    let total = sums.reduce((a, b) => a + b, 0) / classes;
    if (reduction === 'mean' && bugs.mean !== 'never') total /= batch;
    if (reduction === 'mean' && bugs.mean === 'twice') total /= batch * classes;
    const out = allocate(dtype, 1);
    out[0] = total;
    return out;
  };
  const backward = (problem: BackwardProblem, into?: FloatArray): FloatArray => {
    const { batch, classes, reduction, dtype, gradOutput } = problem;
    const counts = new Float64Array(batch * classes);
    for (let n = 0; n < rowsComputed(problem); n++) {
      visit(problem, n, (y, d) => {
        counts[n * classes + d]! += 1;
        if (!bugs.noTargetGradient) counts[n * classes + y]! -= 1;
      });
    }
    const mean = reduction === 'mean' || bugs.gradientAlwaysMean;
    const g = (mean ? 1 / (batch * classes) : 1 / classes) * (bugs.gradientSign ? -1 : 1);
    const out = bugs.accumulateIntoOut ? problem.out?.gradInput : undefined;
    const grad = into ?? out ?? allocate(dtype, batch * classes);
    for (let n = 0; n < batch; n++) {
      const scale = bugs.gradOutputIgnored ? 1 : reduction === 'none' ? gradOutput[n]! : gradOutput[0]!;
      for (let c = 0; c < classes; c++) {
        const value = counts[n * classes + c]! * g * scale;
        grad[n * classes + c] = out === undefined ? value : grad[n * classes + c]! + value;
      }
    }
    return grad;
  };
  return {
    forward: (problem) => forward(problem),
    backward: (problem) => backward(problem),
    forwardBackward: (problem) => {
      const output = forward(problem, bugs.fusedReverseOrder === true);
      // "Reuse the input's buffer, it is not needed any more" — it is the caller's.
      const gradInput = backward(problem, bugs.gradientIntoInput ? (problem.input as FloatArray) : undefined);
      return { output, gradInput };
    },
  };
}

function kernelBackend(name: string, bugs: Bugs, capabilities = REFERENCE_CAPABILITIES): ILossBackend {
  return new LossBackend(name, capabilities, buggyKernel(bugs));
}

/** What the project's CPU backends declare: float32 within 1e-6 of the exact values. */
const TIGHT_CAPABILITIES = {
  ...REFERENCE_CAPABILITIES,
  tolerance: { float32: { rtol: 1e-6, atol: 1e-38 }, float64: { rtol: 1e-12, atol: 1e-300 } },
};

/** A correct backend behind a wrapper that changes what it is given or what it returns. */
class WrappedBackend implements ILossBackend {
  readonly name: string;
  readonly capabilities: ILossBackend['capabilities'];
  readonly inner: ILossBackend;

  constructor(
    name: string,
    inner: ILossBackend,
    readonly tweak: {
      options?: (o: LossOptions | undefined) => LossOptions | undefined;
      target?: (t: Tensor<Int32Array>) => Tensor<Int32Array>;
      output?: (
        out: Tensor<FloatArray>,
        input: Tensor<FloatArray>,
        o: LossOptions | undefined,
      ) => Tensor<FloatArray>;
      error?: (error: unknown) => unknown;
      capabilities?: ILossBackend['capabilities'];
      dispose?: () => Promise<void>;
      /** Reads the inputs a tick after the call, not when it is made. */
      late?: boolean;
    },
  ) {
    this.name = name;
    this.inner = inner;
    this.capabilities = tweak.capabilities ?? inner.capabilities;
  }

  async #guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.tweak.late === true) await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      return await run();
    } catch (error) {
      throw this.tweak.error ? this.tweak.error(error) : error;
    }
  }

  forward(input: Tensor<FloatArray>, target: Tensor<Int32Array>, options?: LossOptions) {
    return this.#guard(async () => {
      const out = await this.inner.forward(input, this.#target(target), this.#options(options));
      return this.tweak.output ? this.tweak.output(out, input, options) : out;
    });
  }

  backward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions,
  ) {
    return this.#guard(() =>
      this.inner.backward(input, this.#target(target), gradOutput, this.#options(options)),
    );
  }

  forwardBackward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<ForwardBackwardResult> {
    return this.#guard(async () => {
      const r = await this.inner.forwardBackward(
        input,
        this.#target(target),
        gradOutput,
        this.#options(options),
      );
      return this.tweak.output ? { ...r, output: this.tweak.output(r.output, input, options) } : r;
    });
  }

  dispose(): Promise<void> {
    return this.tweak.dispose ? this.tweak.dispose() : this.inner.dispose();
  }

  #options(options: LossOptions | undefined) {
    return this.tweak.options ? this.tweak.options(options) : options;
  }

  #target(target: Tensor<Int32Array>) {
    return this.tweak.target ? this.tweak.target(target) : target;
  }
}

const wrap = (name: string, tweak: WrappedBackend['tweak']) =>
  new WrappedBackend(name, createReferenceBackend(), tweak);

/** Every broken backend, by the bug it has. */
export const BROKEN_BACKENDS: Readonly<Record<string, () => ILossBackend>> = {
  'margin test in double for float32': () => kernelBackend('margin-in-double', { marginInDouble: true }),
  '>= instead of >': () => kernelBackend('greater-or-equal', { countZeroTerms: true }),
  'NaN terms counted (propagated)': () => kernelBackend('nan-propagated', { nanCounts: true }),
  'duplicated targets counted once': () => kernelBackend('duplicates-once', { duplicatesOnce: true }),
  'values after the first -1 used': () => kernelBackend('after-minus-one', { valuesAfterMinusOne: true }),
  'only the first target used': () => kernelBackend('first-target-only', { firstTargetOnly: true }),
  'mean divided by N·C twice': () => kernelBackend('mean-twice', { mean: 'twice' }),
  'mean not divided at all': () => kernelBackend('mean-never', { mean: 'never' }),
  "'none' not divided by C": () => kernelBackend('none-not-divided', { noneNotDividedByC: true }),
  'gradient sign flipped': () => kernelBackend('gradient-sign', { gradientSign: true }),
  'grad_output ignored': () => kernelBackend('grad-output-ignored', { gradOutputIgnored: true }),
  'gradient at the targets forgotten': () => kernelBackend('no-target-gradient', { noTargetGradient: true }),
  'gradient always scaled as mean': () => kernelBackend('gradient-always-mean', { gradientAlwaysMean: true }),
  'input mutated (gradient written into it)': () =>
    kernelBackend('gradient-into-input', { gradientIntoInput: true }),
  '1-D output with shape [1]': () =>
    wrap('output-shape-1', {
      output: (out, input) => (input.shape.length < 2 ? { ...out, shape: [1] } : out),
    }),
  'legacy options ignored': () =>
    wrap('legacy-ignored', {
      options: (o) => (o === undefined || o.reduction === undefined ? {} : { reduction: o.reduction }),
    }),
  'target range not checked after the first -1': () =>
    wrap('range-after-minus-one', {
      target: (t) => {
        const data = t.data.slice();
        const classes = t.shape.length === 0 ? 1 : t.shape.at(-1)!;
        for (let row = 0; row * classes < data.length; row++) {
          const stop = data.subarray(row * classes, (row + 1) * classes).indexOf(-1);
          if (stop >= 0) data.fill(-1, row * classes + stop, (row + 1) * classes);
        }
        return { data, shape: t.shape };
      },
    }),
  'inputs read a tick after the call': () => wrap('reads-late', { late: true }),
  'empty-batch mean is 0 instead of NaN': () =>
    wrap('empty-mean-zero', {
      output: (out) =>
        Number.isNaN(out.data[0]) && out.data.length === 1 ? { ...out, data: out.data.map(() => 0) } : out,
    }),
  'invalid reduction throws a plain Error': () =>
    wrap('plain-error', {
      error: (error) =>
        error instanceof LossError && error.code === 'INVALID_REDUCTION' ? new Error(error.message) : error,
    }),
  'float64 computed although not declared': () =>
    wrap('undeclared-dtype', { capabilities: { ...REFERENCE_CAPABILITIES, dtypes: ['float32'] } }),
  'float32 off by 5e-5 with a loose declared tolerance': () =>
    wrap('loose-tolerance', {
      capabilities: {
        ...REFERENCE_CAPABILITIES,
        tolerance: { ...REFERENCE_CAPABILITIES.tolerance, float32: { rtol: 1e-3, atol: 0 } },
      },
      output: (out) =>
        out.data instanceof Float32Array ? { ...out, data: out.data.map((v) => v * (1 + 5e-5)) } : out,
    }),
  'calls still work after dispose()': () => wrap('no-dispose', { dispose: async () => {} }),
  'float32 losses 3e-6 too large (relative) while declaring rtol 1e-6': () =>
    wrap('biased-3e-6', {
      capabilities: TIGHT_CAPABILITIES,
      output: (out) =>
        out.data instanceof Float32Array ? { ...out, data: out.data.map((v) => v * (1 + 3e-6)) } : out,
    }),
  'wrong only on problems past 100,000 elements (the last row lost)': () =>
    kernelBackend('last-row-lost', { lastRowLostPast: 100_000 }, TIGHT_CAPABILITIES),
  'float32 terms summed in float32 (not in double)': () =>
    kernelBackend('float32-sums', { float32Sums: true }, TIGHT_CAPABILITIES),
  "fused loss summed in another order than forward's": () =>
    kernelBackend('fused-order', { fusedReverseOrder: true }, TIGHT_CAPABILITIES),
  "out option ignored (fresh arrays returned, the caller's left alone)": () =>
    wrap('out-ignored', {
      options: (o) => {
        if (o === undefined || typeof o !== 'object' || !('out' in o)) return o;
        const { out: _ignored, ...rest } = o;
        return rest;
      },
    }),
  "gradient added to the out array's stale contents": () =>
    kernelBackend('out-accumulated', { accumulateIntoOut: true }, TIGHT_CAPABILITIES),
  'declares checksTargetRange but never checks': () =>
    new LossBackend('unchecked-range', REFERENCE_CAPABILITIES, {
      ...buggyKernel({}),
      checksTargetRange: true,
    }),
  'checks the range itself but reports the last bad target, not the first': () =>
    new LossBackend('last-out-of-range', REFERENCE_CAPABILITIES, lastOutOfRangeKernel()),
};

/** A kernel that checks the target range itself, scanning from the end (as a chunk finishing last might). */
function lastOutOfRangeKernel(): LossKernel {
  const inner = buggyKernel({});
  const check = ({ target, classes }: Problem) => {
    for (let i = target.length - 1; i >= 0; i--) {
      if (target[i]! < -1 || target[i]! >= classes) throw targetOutOfRangeError(target, i, classes);
    }
  };
  return {
    checksTargetRange: true,
    forward(problem) {
      check(problem);
      return inner.forward(problem);
    },
    backward(problem) {
      check(problem);
      return inner.backward(problem);
    },
    forwardBackward(problem) {
      check(problem);
      return inner.forwardBackward(problem);
    },
  };
}
