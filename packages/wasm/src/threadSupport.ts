/**
 * Whether this context can share WebAssembly memory with worker threads: `SharedArrayBuffer`
 * and `Atomics` exist and a shared memory can be made (in browsers this needs a cross-origin
 * isolated page: COOP `same-origin` and COEP `require-corp` headers). Returns the reason when not.
 */
export function sharedMemorySupport():
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string } {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return {
      ok: false,
      reason: 'SharedArrayBuffer is not available (in browsers: the page is not cross-origin isolated)',
    };
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return { ok: false, reason: 'the page is not cross-origin isolated (COOP/COEP headers)' };
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (error) {
    return { ok: false, reason: `shared WebAssembly memory is not available (${String(error)})` };
  }
  return { ok: true };
}

/**
 * Whether this code runs on a browser page's main thread (a window, not a worker), where a call
 * that computes for long freezes the page and `Atomics.wait` is not allowed.
 */
export function isBrowserMainThread(): boolean {
  const scope = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return (
    typeof scope.document === 'object' && scope.document !== null && scope.WorkerGlobalScope === undefined
  );
}
