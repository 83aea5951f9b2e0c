/**
 * Node's worker threads (`node:worker_threads`). Chosen through the `#worker-host` subpath import
 * under the `node` condition, so browser bundles never see it.
 */
import type { WorkerLike } from './workerHost.types.js';

interface NodeWorker {
  postMessage(value: unknown, transfer?: readonly Transferable[]): void;
  on(event: 'message', listener: (value: unknown) => void): void;
  once(event: 'error' | 'exit', listener: (value: unknown) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; name?: string }) => NodeWorker;
}

interface OsModule {
  availableParallelism?: () => number;
  cpus(): readonly unknown[];
}

// Specifiers in variables: the types need no @types/node, and bundlers leave the imports alone.
const WORKER_THREADS = 'node:worker_threads';
const OS = 'node:os';

/**
 * Starts a worker running `body`, the source of a function `(receive, send, listen) => void`:
 * `receive(f)` calls `f` with the first message, `listen(f)` with every later one, and
 * `send(m, transfer?)` posts `m` back (moving the buffers in `transfer`).
 */
export async function spawnWorker(body: string): Promise<WorkerLike> {
  const { Worker } = (await import(WORKER_THREADS)) as WorkerThreadsModule;
  const source = `const { parentPort } = require('node:worker_threads');
(${body})((f) => parentPort.once('message', f), (m, t) => parentPort.postMessage(m, t), (f) => parentPort.on('message', f));`;
  const worker = new Worker(source, { eval: true, name: 'mlml-wasm' });
  worker.unref();
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.on('message', listener),
    onFailure(listener) {
      let failed = false;
      const fail = (reason: string) => {
        if (failed) return;
        failed = true;
        listener(reason);
      };
      worker.once('error', (error) => fail(`worker error: ${String(error)}`));
      worker.once('exit', (code) => fail(`worker exited (code ${String(code)})`));
    },
    hold: () => worker.ref(),
    release: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** The number of hardware threads this process can use. */
export async function hardwareThreads(): Promise<number> {
  const os = (await import(OS)) as OsModule;
  return os.availableParallelism?.() ?? os.cpus().length;
}
