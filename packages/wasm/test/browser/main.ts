// Runs in headless Chromium (see ../browser.test.ts), plainly served and cross-origin isolated:
// the wasm backend as a page gets it by default, on a 65536x128 (J=3) forwardBackward, with the
// page's long tasks and the largest gap of a 4 ms heartbeat measured during each call, with fresh
// result arrays and with caller-owned ones (`out`); the same call on the calling thread
// (callingThreadComputes: true, threads: 1, `out`) as the reference; a
// dispose() while a call is in flight; and workers stopped (terminated) while a job waits on them.
import type { FloatArray, ILossBackend } from '@mlml/core-spec';
import { createWasmBackend } from '../../src/index.js';
import { ProxyLossKernel } from '../../src/ProxyLossKernel.js';
import { instantiateKernels } from '../../src/WasmKernels.js';
import { WorkerTeam } from '../../src/WorkerTeam.js';

const [BATCH, CLASSES, TARGETS] = [65_536, 128, 3];

let state = 12345;
const next = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 4294967296;
};

function problem(batch: number, classes: number, targets: number) {
  const input = new Float32Array(batch * classes);
  for (let i = 0; i < input.length; i++) input[i] = next() * 2 - 1;
  const target = new Int32Array(batch * classes).fill(-1);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < targets; j++) target[n * classes + j] = Math.floor(next() * classes);
  }
  return [
    { data: input, shape: [batch, classes] },
    { data: target, shape: [batch, classes] },
  ] as const;
}

const longTasks: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
}).observe({ type: 'longtask' });

interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  /** The longest long task (> 50 ms) overlapping the call, 0 if none. */
  readonly longestTask: number;
  /** The largest gap between heartbeats (every 4 ms) during the call. */
  readonly maxGap: number;
  /** The time the call took to return its promise: the part the caller's thread is surely blocked. */
  readonly syncMs: number;
}

async function measured<T>(call: () => Promise<T>): Promise<Measured<T>> {
  let last = performance.now();
  let maxGap = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 4);
  const start = performance.now();
  const pending = call();
  const syncMs = performance.now() - start;
  const value = await pending;
  const end = performance.now();
  maxGap = Math.max(maxGap, end - last);
  clearInterval(heartbeat);
  await new Promise((resolve) => setTimeout(resolve, 100)); // long-task entries arrive late
  const overlapping = longTasks.filter((t) => t.start < end && t.start + t.duration > start);
  return {
    value,
    ms: end - start,
    longestTask: Math.max(0, ...overlapping.map((t) => t.duration)),
    maxGap,
    syncMs,
  };
}

function sameBytes(a: FloatArray, b: FloatArray): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const timeout = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

/** A job of heavy rows (C = 50,000, J = 1,000) on a team, stopped with stop(0) mid-job (while its input is copied in). */
async function teamStoppedMidJob(): Promise<string> {
  const kernels = await instantiateKernels(65_536, true);
  const team = await WorkerTeam.start(kernels.module, kernels.memory, 2);
  const [batch, classes] = [32, 50_000];
  const [x, y] = problem(batch, classes, 1_000);
  const base = Math.ceil(kernels.exports.heapBase() / 16) * 16;
  const scratchBytes = Math.ceil(Number(kernels.exports.scratchBytes(classes)) / 16) * 16;
  const job = {
    kind: 0 as const,
    target: base,
    input: base + batch * classes * 4,
    sums: base + batch * classes * 8,
    batch,
    classes,
    grad: 0,
    scales: 0,
    g: 0,
    simdMax: 24,
  };
  const scratch = [0, 1].map((i) => job.sums + batch * 8 + i * scratchBytes);
  kernels.memory.grow(
    Math.ceil((scratch[1]! + scratchBytes - kernels.memory.buffer.byteLength) / 65_536) + 1,
  );
  const memory = kernels.memory.buffer;
  let stopping: Promise<void> | undefined;
  const prepare = (from: number, count: number) => {
    const [start, stop] = [from * classes, (from + count) * classes];
    new Int32Array(memory, job.target, batch * classes).set(y.data.subarray(start, stop), start);
    new Float32Array(memory, job.input, batch * classes).set(x.data.subarray(start, stop), start);
    // Stopped while the job's input is still being copied in: surely mid-job.
    if (from >= batch / 4) stopping ??= team.stop(0);
  };
  let finished = 0;
  const running = team.run(job, scratch, prepare, undefined, (_, count) => {
    finished += count;
  });
  const outcome = await Promise.race([
    running.then(
      () => 'resolved',
      () => 'rejected',
    ),
    timeout(20_000, 'hung'),
  ]);
  await stopping;
  return finished < batch ? outcome : `${outcome} (after all rows were computed: not mid-job)`;
}

/** The proxy kernel disposed (its worker terminated) with a heavy call in it. */
async function proxyStoppedMidCall(): Promise<string> {
  const kernel = await ProxyLossKernel.start(await instantiateKernels(), 65_536);
  const [x, y] = problem(32, 50_000, 1_000);
  const call = kernel.forward({
    dtype: 'float32',
    input: x.data,
    target: y.data,
    batch: 32,
    classes: 50_000,
    reduction: 'mean',
    inputShape: [32, 50_000],
    outputShape: [],
  });
  await kernel.dispose();
  return Promise.race([
    call.then(
      () => 'resolved',
      (error: unknown) => `rejected: ${(error as { code?: string }).code}`,
    ),
    timeout(20_000, 'hung'),
  ]);
}

async function run() {
  const [x, y] = problem(BATCH, CLASSES, TARGETS);
  const backend: ILossBackend = await createWasmBackend();
  const calls: Omit<Measured<unknown>, 'value'>[] = [];
  let last: { output: { data: FloatArray }; gradInput: { data: FloatArray } } | undefined;
  for (let i = 0; i < 3; i++) {
    const { value, ...timing } = await measured(() => backend.forwardBackward(x, y));
    calls.push(timing);
    last = value;
  }
  // With caller-owned result arrays (a training loop's way): no fresh 32 MiB gradient whose
  // first-touch page faults the page would take.
  const out = { output: new Float32Array(1), gradInput: new Float32Array(BATCH * CLASSES) };
  const outCalls: Omit<Measured<unknown>, 'value'>[] = [];
  for (let i = 0; i < 3; i++) {
    const { value: _, ...timing } = await measured(() => backend.forwardBackward(x, y, undefined, { out }));
    outCalls.push(timing);
  }
  const outSame = sameBytes(out.gradInput, last!.gradInput.data);
  const reference = await createWasmBackend({ threads: 1, callingThreadComputes: true });
  const expected = await reference.forwardBackward(x, y);
  const referenceOut = { output: new Float32Array(1), gradInput: new Float32Array(BATCH * CLASSES) };
  await reference.forwardBackward(x, y, undefined, { out: referenceOut });
  const { value: _, ...referenceTiming } = await measured(() =>
    reference.forwardBackward(x, y, undefined, { out: referenceOut }),
  );
  await reference.dispose();
  const same =
    outSame &&
    sameBytes(last!.output.data, expected.output.data) &&
    sameBytes(last!.gradInput.data, expected.gradInput.data);
  // dispose() with a call in flight: the call completes with its result, then dispose resolves.
  const inFlight = backend.forwardBackward(x, y);
  const disposing = backend.dispose();
  const settled = await Promise.race([
    Promise.allSettled([inFlight, disposing]),
    timeout(30_000, 'hung' as const),
  ]);
  const disposeInFlight =
    settled === 'hung'
      ? 'hung'
      : settled[0].status === 'fulfilled' && settled[1].status === 'fulfilled'
        ? sameBytes(settled[0].value.gradInput.data, expected.gradInput.data)
          ? 'completed'
          : 'completed with other numbers'
        : `rejected: ${String(settled[0].status === 'rejected' ? settled[0].reason : settled[1].status)}`;
  // A compute-heavy call (64x20000, J=800), where computing, not copying, takes the time.
  const [hx, hy] = problem(64, 20_000, 800);
  const heavyBackend = await createWasmBackend();
  const heavyReference = await createWasmBackend({ threads: 1, callingThreadComputes: true });
  const heavyCalls: Omit<Measured<unknown>, 'value'>[] = [];
  // The first call grows the memory; the others are the steady state (several: one call's return
  // can be held up by other work on a busy machine).
  for (let i = 0; i < 5; i++) {
    const { value: _, ...timing } = await measured(() => heavyBackend.forwardBackward(hx, hy));
    heavyCalls.push(timing);
  }
  await heavyReference.forwardBackward(hx, hy);
  const { value: __, ...heavyReferenceTiming } = await measured(() => heavyReference.forwardBackward(hx, hy));
  await heavyBackend.dispose();
  await heavyReference.dispose();
  const stoppedMidJob = globalThis.crossOriginIsolated
    ? await teamStoppedMidJob()
    : await proxyStoppedMidCall();
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    threads: backend.capabilities.threads ?? 1,
    notes: backend.capabilities.notes ?? [],
    calls,
    outCalls,
    reference: referenceTiming,
    heavy: { calls: heavyCalls, reference: heavyReferenceTiming },
    same,
    disposeInFlight,
    stoppedMidJob,
  };
}

let result: unknown;
try {
  result = await run();
} catch (error) {
  result = `error: ${error instanceof Error ? `${error.message}\n${error.stack}` : String(error)}`;
}
const out = document.getElementById('out')!;
out.textContent = JSON.stringify(result);
out.dataset.done = '1';
