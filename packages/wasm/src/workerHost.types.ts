/** A worker thread as the wasm backend uses it, the same in Node and in browsers. */
export interface WorkerLike {
  /**
   * Sends one message (structured clone; WebAssembly modules and shared memories are shared,
   * the buffers in `transfer` are moved).
   */
  post(message: unknown, transfer?: readonly Transferable[]): void;
  /** Calls `listener` with every message the worker sends. */
  onMessage(listener: (message: unknown) => void): void;
  /** Calls `listener` once if the worker fails, exits or is terminated (also by {@link WorkerLike.terminate}). */
  onFailure(listener: (reason: string) => void): void;
  /** Keeps the process alive while a job is in flight (Node; no-op in browsers). */
  hold(): void;
  /** Lets the process exit while the worker idles (Node; no-op in browsers). */
  release(): void;
  /** Stops the worker; resolves once it has stopped. */
  terminate(): Promise<void>;
}
