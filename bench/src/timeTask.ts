import { Bench } from 'tinybench';

/** How long to time one task. */
export interface TimingOptions {
  /** Time budget of the measured loop, in ms (tinybench's `time`). */
  readonly timeMs: number;
  /** Minimum measured calls, whatever the budget (tinybench's `iterations`). */
  readonly minIterations: number;
  /** Warm-up budget in ms. */
  readonly warmupMs: number;
  /** Minimum warm-up calls. */
  readonly warmupIterations: number;
}

/** Latency statistics of one timed task, in milliseconds. */
export interface TimingStats {
  /** Median latency (the figure the bench quotes). */
  readonly medianMs: number;
  /** Mean latency. */
  readonly meanMs: number;
  /** Fastest call. */
  readonly minMs: number;
  /** Relative margin of error of the mean at 95%, in percent. */
  readonly rme: number;
  /** Number of measured calls. */
  readonly samples: number;
}

/** Timing settings for a budget: warm-up is a fifth of it (at most 200 ms) and one call at least. */
export function timingFor(timeMs: number, minIterations: number): TimingOptions {
  return { timeMs, minIterations, warmupMs: Math.min(200, timeMs / 5), warmupIterations: 1 };
}

/**
 * Times `fn` with tinybench: a warm-up, then calls until both the budget and the minimum count are
 * reached. Errors thrown by `fn` propagate.
 */
export async function timeTask(
  name: string,
  fn: () => unknown,
  options: TimingOptions,
  isAsync = true,
): Promise<TimingStats> {
  const bench = new Bench({
    time: options.timeMs,
    iterations: options.minIterations,
    warmupTime: options.warmupMs,
    warmupIterations: options.warmupIterations,
    warmup: options.warmupIterations > 0 || options.warmupMs > 0,
    throws: true,
  });
  bench.add(name, fn, { async: isAsync });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`timing of ${name} ended in state ${result.state}`);
  const { latency } = result;
  return {
    medianMs: latency.p50,
    meanMs: latency.mean,
    minMs: latency.min,
    rme: latency.rme,
    samples: latency.samplesCount,
  };
}
