import { type BackendCapabilities, type ILossBackend, LossBackend } from '@mlml/core-spec';
import { hardwareThreads } from '#worker-host';
import { PlacedLossKernel } from './PlacedLossKernel.js';
import { ProxyLossKernel } from './ProxyLossKernel.js';
import { ThreadPolicy } from './ThreadPolicy.js';
import { isBrowserMainThread, sharedMemorySupport } from './threadSupport.js';
import { instantiateKernels, MAX_PAGES, type WasmKernels } from './WasmKernels.js';
import { WasmLossKernel } from './WasmLossKernel.js';
import { WorkerTeam } from './WorkerTeam.js';
import { MAX_WORKERS } from './workerBody.js';

/** The most threads the backend uses unless asked for more (at most 16 in any case). */
export const DEFAULT_MAX_THREADS = 4;

/** Options of {@link createWasmBackend}; the defaults suit every use. */
export interface WasmBackendOptions {
  /**
   * The most 64 KiB pages the backend's WebAssembly memory may grow to. A call that needs more
   * fails with `INPUT_TOO_LARGE`.
   * @default 65536 (4 GiB, the most a 32-bit memory can have)
   */
  readonly maxMemoryPages?: number;
  /**
   * Largest number of targets per row counted by SIMD compare-and-count; float32 rows with more
   * use a bucket table. Both give the same results; this only tunes speed.
   * @default min(24, 8 + floor(16000 / C)) for rows of C classes
   */
  readonly simdMaxTargets?: number;
  /**
   * Threads to compute on: this one plus `threads - 1` worker threads sharing the module's
   * memory (or, where `callingThreadComputes` is false, `threads` workers), each taking chunks of
   * rows of the problems where sharing pays: the backend times each size of problem alone and
   * shared and keeps the faster (results are bit-identical for any count and either way). Needs
   * `SharedArrayBuffer` (in browsers, a cross-origin isolated page); where it is missing or a
   * worker cannot start, the backend runs on one thread and says why in `capabilities.notes`.
   * `1` never starts a worker unless `callingThreadComputes` is false.
   * @default the hardware threads available, at most 4
   */
  readonly threads?: number;
  /**
   * Whether the calling thread computes (its share of) a call. `false` keeps every problem of
   * more than 16,384 elements off it: with SharedArrayBuffer, `threads` workers compute and this
   * thread only copies and waits asynchronously; without, one proxy worker runs the kernels on
   * copies of the inputs taken at call time. Either way the page stays responsive.
   * @default false on a browser page's main thread, true elsewhere
   */
  readonly callingThreadComputes?: boolean;
}

/**
 * What the wasm backend promises. Decisions (which terms count) are the reference's to the bit,
 * so the gradient is exact: whole counts scaled once, as the reference does. The loss sums the
 * reference's double terms in another order (k·x over elements plus c·a over targets, or k·x
 * minus the sum of the thresholds below x, exact products, every sum in double, rounded once to
 * the input's dtype), so it differs only by double rounding: measured at most 1 ulp of float32;
 * in float64 ~1e-13 relative, offset data (values near 1e6) included, and ~1.4e-12 on a row of
 * 6 million terms, where the reference's own one-by-one sum is that far from exact. forward,
 * backward and forwardBackward sum a row in the same order: their losses are equal to the bit.
 * The declared tolerances cover these with a margin.
 */
export const WASM_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: {
    float32: { rtol: 1e-6, atol: 1e-35 },
    float64: { rtol: 1e-10, atol: 1e-300 },
  },
  deterministic: true,
};

/**
 * Creates the `'wasm'` backend: AssemblyScript kernels compiled to WebAssembly with 128-bit SIMD,
 * embedded in the package (no file to serve, no bundler setting), on several threads where the
 * platform allows. Rejects with a `LossError` (`BACKEND_UNAVAILABLE`) where WebAssembly SIMD is
 * missing.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<ILossBackend> {
  const maxPages = Math.min(MAX_PAGES, Math.max(1, Math.floor(options.maxMemoryPages ?? MAX_PAGES)));
  const simdMax = options.simdMaxTargets;
  const requested = Math.max(
    1,
    Math.floor(options.threads ?? Math.min(DEFAULT_MAX_THREADS, await hardwareThreads())),
  );
  const notes: string[] = [];
  if (!(options.callingThreadComputes ?? !isBrowserMainThread())) {
    return offCallingThread(maxPages, simdMax, requested, notes);
  }
  if (requested > 1) {
    const threaded = await startThreads(maxPages, requested - 1);
    if (threaded.ok) {
      const kernel = await placedKernel(threaded, maxPages, simdMax, true);
      return new LossBackend('wasm', capabilitiesFor(kernel.threads, notes), kernel);
    }
    notes.push(`runs on 1 thread of the ${requested} asked for: ${threaded.reason}`);
  }
  const kernel = new WasmLossKernel(await instantiateKernels(maxPages), simdMax);
  return new LossBackend('wasm', capabilitiesFor(1, notes), kernel);
}

/**
 * The backend that keeps large problems off the calling thread: `requested` workers on a shared
 * memory, else one proxy worker, else (say why) this thread.
 */
async function offCallingThread(
  maxPages: number,
  simdMax: number | undefined,
  requested: number,
  notes: string[],
): Promise<ILossBackend> {
  const threaded = await startThreads(maxPages, requested);
  if (threaded.ok) {
    const kernel = await placedKernel(threaded, maxPages, simdMax, false);
    return new LossBackend('wasm', capabilitiesFor(kernel.threads, notes), kernel);
  }
  const kernels = await instantiateKernels(maxPages);
  try {
    const kernel = await ProxyLossKernel.start(kernels, maxPages, simdMax);
    notes.push(`computes on 1 worker thread (the calling thread only copies): ${threaded.reason}`);
    return new LossBackend('wasm', capabilitiesFor(1, notes), kernel);
  } catch (error) {
    notes.push(
      `runs on the calling thread (no worker could start: ${error instanceof Error ? error.message : String(error)}; ${threaded.reason})`,
    );
    return new LossBackend('wasm', capabilitiesFor(1, notes), new WasmLossKernel(kernels, simdMax));
  }
}

/**
 * The kernel that places each call (see {@link ThreadPolicy}): alone on a private memory, or
 * shared with the team on its memory.
 */
async function placedKernel(
  threaded: Extract<Threads, { ok: true }>,
  maxPages: number,
  simdMax: number | undefined,
  callingThreadComputes: boolean,
): Promise<PlacedLossKernel> {
  const here = new WasmLossKernel(await instantiateKernels(maxPages), simdMax);
  const sharing = new ThreadPolicy({ callingThreadComputes, sharing: 'always' });
  const shared = new WasmLossKernel(threaded.kernels, simdMax, threaded.team, sharing);
  return new PlacedLossKernel(here, shared, threaded.team, new ThreadPolicy({ callingThreadComputes }));
}

function capabilitiesFor(threads: number, notes: readonly string[]): BackendCapabilities {
  return { ...WASM_CAPABILITIES, threads, ...(notes.length > 0 ? { notes } : {}) };
}

type Threads =
  | { readonly ok: true; readonly kernels: WasmKernels; readonly team: WorkerTeam }
  | { readonly ok: false; readonly reason: string };

/** The shared-memory kernels and `count` workers on them, or why they cannot be had. */
async function startThreads(maxPages: number, count: number): Promise<Threads> {
  const support = sharedMemorySupport();
  if (!support.ok) return support;
  let kernels: WasmKernels;
  try {
    kernels = await instantiateKernels(maxPages, true);
  } catch (error) {
    return { ok: false, reason: `shared memory kernels failed: ${String(error)}` };
  }
  try {
    const team = await WorkerTeam.start(kernels.module, kernels.memory, Math.min(count, MAX_WORKERS));
    return { ok: true, kernels, team };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
