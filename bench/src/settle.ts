import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Pause before each timed task, in ms: lets worker threads and the OS go quiet. */
export const SETTLE_MS = 30;

let collect: (() => void) | undefined;

/** V8's `gc()`, made available without the `--expose-gc` flag. */
function collector(): () => void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

/**
 * Starts every timed task from the same state: collects the garbage the previous task left (a
 * gradient-producing task leaves megabytes, whose collection otherwise lands in the next task's
 * timing: measured 24 ms instead of 17 for cpu-ts right after wasm at N=256, C=10000), then waits
 * {@link SETTLE_MS}.
 */
export async function settle(): Promise<void> {
  collector()();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}
