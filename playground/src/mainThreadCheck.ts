import type { ILossBackend } from '@mlml/loss';
import { type BenchShape, benchProblem } from './benchProblem.ts';

/** The big call the main-thread check makes: the bench's big-batch shape, forward+backward. */
export const BIG_CALL_SHAPE: BenchShape = {
  label: 'big batch 65536×128 J=3',
  batch: 65536,
  classes: 128,
  targets: 3,
};

/** How the main thread fared during one big call. */
export interface MainThreadReport {
  /** The backend. */
  readonly backend: string;
  /** The call's wall time, in ms. */
  readonly callMs: number;
  /** The longest main-thread task the browser reported (long tasks are those over 50 ms); 0 if none. */
  readonly longestTaskMs: number;
  /** How many long tasks there were. */
  readonly longTasks: number;
  /** The longest gap between ticks of a 4 ms timer during the call (what a user would feel as a freeze). */
  readonly longestGapMs: number;
}

/**
 * Makes one big forward+backward call (after a warm-up call) while watching the main thread: long
 * tasks through `PerformanceObserver` (`longtask`), and the gaps between ticks of a timer.
 */
export async function checkMainThread(
  backend: ILossBackend,
  shape: BenchShape = BIG_CALL_SHAPE,
): Promise<MainThreadReport> {
  const { input, target } = benchProblem(shape);
  await backend.forwardBackward(input, target);
  // End the current task (data generation, warm-up) before watching, or it would be counted.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  let longestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 4);
  // Let the observer and the timer start before the call.
  await new Promise((resolve) => setTimeout(resolve, 20));
  last = performance.now();
  const started = performance.now();
  await backend.forwardBackward(input, target);
  const callMs = performance.now() - started;
  longestGap = Math.max(longestGap, performance.now() - last);
  // Long-task entries are delivered after the task: give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 60));
  clearInterval(timer);
  for (const entry of observer.takeRecords()) tasks.push(entry.duration);
  observer.disconnect();
  return {
    backend: backend.name,
    callMs,
    longestTaskMs: Math.max(0, ...tasks),
    longTasks: tasks.length,
    longestGapMs: longestGap,
  };
}
