/**
 * Browsers' Web Workers, started from a Blob URL (no file to serve, no bundler setting). Chosen
 * through the `#worker-host` subpath import outside Node.
 */
import type { WorkerLike } from './workerHost.types.js';

/**
 * Starts a worker running `body`, the source of a function `(receive, send, listen) => void`:
 * `receive(f)` calls `f` with the first message, `listen(f)` with every later one, and
 * `send(m, transfer?)` posts `m` back (moving the buffers in `transfer`).
 */
export async function spawnWorker(body: string): Promise<WorkerLike> {
  const source = `(${body})((f) => { self.onmessage = (e) => { self.onmessage = null; f(e.data); }; }, (m, t) => self.postMessage(m, t ?? []), (f) => self.addEventListener('message', (e) => f(e.data)));`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  let worker: Worker;
  try {
    worker = new Worker(url, { name: 'mlml-wasm' });
  } catch (error) {
    URL.revokeObjectURL(url);
    throw error;
  }
  // Revoked once the worker has loaded (its first message) or failed, not before: some browsers
  // fetch the script after the constructor returns.
  const revoke = () => URL.revokeObjectURL(url);
  worker.addEventListener('message', revoke, { once: true });
  worker.addEventListener('error', revoke, { once: true });
  // A terminated Web Worker fires no event: terminate() itself tells the failure listeners, so a
  // job waiting on the worker settles (Node's worker fires 'exit').
  const failureListeners: ((reason: string) => void)[] = [];
  let failure: string | undefined;
  const fail = (reason: string) => {
    if (failure !== undefined) return;
    failure = reason;
    for (const listener of failureListeners) listener(reason);
  };
  worker.addEventListener('error', (event) => fail(`worker error: ${event.message}`));
  worker.addEventListener('messageerror', () => fail('worker message error'));
  return {
    post: (message, transfer) => worker.postMessage(message, [...(transfer ?? [])]),
    onMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data)),
    onFailure(listener) {
      if (failure === undefined) failureListeners.push(listener);
      else listener(failure);
    },
    hold: () => {},
    release: () => {},
    terminate: async () => {
      worker.terminate();
      fail('worker terminated');
    },
  };
}

/** The number of hardware threads the browser reports. */
export async function hardwareThreads(): Promise<number> {
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}
