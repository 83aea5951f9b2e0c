import type { ILossBackend } from '@mlml/loss';
import { type BenchShape, benchProblem } from './benchProblem.ts';

/** What is timed: the loss alone, or the loss and its gradient in one call. */
export type BenchMode = 'forward' | 'forward+backward';

/** One timed cell of the Compare tab. */
export interface BenchRow {
  /** The shape's label. */
  readonly shape: string;
  /** The backend's name. */
  readonly backend: string;
  /** What was timed. */
  readonly mode: BenchMode;
  /** Median time per call, in ms. */
  readonly medianMs: number;
  /** Calls timed. */
  readonly calls: number;
}

/** Budget of the quick bench. */
export interface QuickBenchOptions {
  /** Time spent per cell after the warm-up, in ms (at least `minSamples` samples). @default 300 */
  readonly budgetMs?: number;
  /** Samples per cell, whatever the budget. @default 3 */
  readonly minSamples?: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Times one backend on one problem: a warm-up call, then samples of `k` back-to-back calls
 * (`k` chosen so that a sample lasts at least 1 ms: the page's clock may be coarse) until the
 * budget is spent; the result is the median sample over `k`.
 */
export async function timeCalls(
  call: () => Promise<unknown>,
  options: QuickBenchOptions = {},
): Promise<{ medianMs: number; calls: number }> {
  const budget = options.budgetMs ?? 300;
  const minSamples = options.minSamples ?? 3;
  let started = performance.now();
  await call();
  let k = 1;
  while (performance.now() - started < 1 && k < 1 << 16) {
    k *= 2;
    started = performance.now();
    for (let i = 0; i < k; i++) await call();
  }
  const samples: number[] = [];
  const deadline = performance.now() + budget;
  while (samples.length < minSamples || performance.now() < deadline) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await call();
    samples.push((performance.now() - t0) / k);
  }
  return { medianMs: median(samples), calls: samples.length * k };
}

/**
 * The quick bench in this page: every backend on every shape, forward and forward+backward,
 * float32, reduction mean. Backends take turns per shape (the same data for all); `onRow` sees
 * each cell as soon as it is timed.
 */
export async function runQuickBench(
  backends: readonly ILossBackend[],
  shapes: readonly BenchShape[],
  onRow: (row: BenchRow) => void,
  options: QuickBenchOptions = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const shape of shapes) {
    const { input, target } = benchProblem(shape);
    for (const mode of ['forward', 'forward+backward'] as const) {
      for (const backend of backends) {
        const call =
          mode === 'forward'
            ? () => backend.forward(input, target)
            : () => backend.forwardBackward(input, target);
        const { medianMs, calls } = await timeCalls(call, options);
        const row = { shape: shape.label, backend: backend.name, mode, medianMs, calls };
        rows.push(row);
        onRow(row);
      }
    }
  }
  return rows;
}
