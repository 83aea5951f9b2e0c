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
  /** Fastest call (for a task timed in batches of calls, the fastest batch's mean). */
  readonly minMs: number;
  /** Relative margin of error of the mean at 95%, in percent. */
  readonly rme: number;
  /** Number of measured calls (a batched task's samples times its calls per sample). */
  readonly samples: number;
}

/** Timing settings for a budget: warm-up is a fifth of it (at most 200 ms) and one call at least. */
export function timingFor(timeMs: number, minIterations: number): TimingOptions {
  return { timeMs, minIterations, warmupMs: Math.min(200, timeMs / 5), warmupIterations: 1 };
}

/**
 * Calls shorter than this, in ms, are timed in batches: one tinybench sample (two clock reads, an
 * await and its bookkeeping, a few hundred ns) is then a small part of what it measures, and a
 * sample is long enough for the clock. Timed one by one, the medians of sub-microsecond calls came
 * out on a few discrete values (461, 621, 691 ns for the read passes at 32×10).
 */
export const MIN_SAMPLE_MS = 0.02;
/** The most calls in one batch. */
const MAX_CALLS_PER_SAMPLE = 10_000;
/** Calls of the pilot that sizes the batches of a fast task. */
const PILOT_CALLS = 20;
/** A first call at least this long (ms) skips the pilot: the task is timed call by call. */
const SLOW_CALL_MS = 1;

/**
 * Times `fn` with tinybench: a warm-up, then samples until both the budget and the minimum count
 * are reached. A task whose calls take less than {@link MIN_SAMPLE_MS} (measured on a pilot of a
 * few calls, skipped when `options` asks for no warm-up) is sampled in batches of calls; its
 * statistics are then per call, and `samples` counts calls. Errors thrown by `fn` propagate.
 */
export async function timeTask(
  name: string,
  fn: () => unknown,
  options: TimingOptions,
  isAsync = true,
): Promise<TimingStats> {
  const calls = options.warmupIterations > 0 || options.warmupMs > 0 ? await callsPerSample(fn, isAsync) : 1;
  const sample =
    calls === 1
      ? fn
      : isAsync
        ? async () => {
            for (let i = 0; i < calls; i++) await fn();
          }
        : () => {
            for (let i = 0; i < calls; i++) fn();
          };
  const bench = new Bench({
    time: options.timeMs,
    iterations: options.minIterations,
    warmupTime: options.warmupMs,
    warmupIterations: options.warmupIterations,
    warmup: options.warmupIterations > 0 || options.warmupMs > 0,
    throws: true,
  });
  bench.add(name, sample, { async: isAsync });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`timing of ${name} ended in state ${result.state}`);
  const { latency } = result;
  return {
    medianMs: latency.p50 / calls,
    meanMs: latency.mean / calls,
    minMs: latency.min / calls,
    rme: latency.rme,
    samples: latency.samplesCount * calls,
  };
}

/**
 * How many calls of `fn` make a sample of at least {@link MIN_SAMPLE_MS}: from the mean of a pilot
 * of 20 calls (at most 10,000), or 1 at once when a first call takes 1 ms or more. `now` is the
 * clock in ms (tests pass one of their own).
 * @default now `performance.now`
 */
export async function callsPerSample(
  fn: () => unknown,
  isAsync: boolean,
  now: () => number = () => performance.now(),
): Promise<number> {
  let started = now();
  if (isAsync) await fn();
  else fn();
  // One call this long is not a fast task, however cold it was: no pilot.
  if (now() - started >= SLOW_CALL_MS) return 1;
  started = now();
  for (let i = 0; i < PILOT_CALLS; i++) {
    if (isAsync) await fn();
    else fn();
  }
  const perCall = (now() - started) / PILOT_CALLS;
  if (perCall >= MIN_SAMPLE_MS) return 1;
  return Math.min(MAX_CALLS_PER_SAMPLE, Math.ceil(MIN_SAMPLE_MS / Math.max(perCall, 1e-6)));
}
