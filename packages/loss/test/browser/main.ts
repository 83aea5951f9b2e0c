// Runs in headless Chromium (see ../browser.test.ts): every built-in backend, bundled by Vite,
// then the wasm backend's worker threads (which need a cross-origin isolated page) on a problem
// large enough to be shared out, against the same kernels on one thread.
import { createBackend, listBackends, multilabelMarginLoss } from '@mlml/loss';
import { createWasmBackend } from '@mlml/wasm';

const losses: Record<string, string | number> = {};
for (const { name } of listBackends()) {
  try {
    const backend = await createBackend(name);
    const loss = await multilabelMarginLoss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]], { backend });
    losses[name] = loss.data[0] ?? Number.NaN;
    await backend.dispose();
  } catch (error) {
    losses[name] = `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function wasmThreads() {
  const [batch, classes] = [512, 512];
  const input = new Float32Array(batch * classes);
  const target = new Int32Array(batch * classes).fill(-1);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let i = 0; i < input.length; i++) input[i] = next() * 4 - 2;
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < 1 + (n % 40); j++) target[n * classes + j] = Math.floor(next() * classes);
  }
  const tensors = [
    { data: input, shape: [batch, classes] },
    { data: target, shape: [batch, classes] },
  ] as const;
  const threaded = await createWasmBackend();
  const single = await createWasmBackend({ threads: 1 });
  try {
    const a = await threaded.forwardBackward(...tensors, undefined, { reduction: 'none' });
    const b = await single.forwardBackward(...tensors, undefined, { reduction: 'none' });
    const fa = await threaded.forward(...tensors, { reduction: 'none' });
    const fb = await single.forward(...tensors, { reduction: 'none' });
    const same = (x: ArrayLike<number>, y: ArrayLike<number>) =>
      x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated,
      threads: threaded.capabilities.threads ?? 1,
      notes: threaded.capabilities.notes ?? [],
      agree:
        same(a.output.data, b.output.data) &&
        same(a.gradInput.data, b.gradInput.data) &&
        same(fa.data, fb.data),
      positive: a.output.data.every((v) => v > 0),
    };
  } finally {
    await threaded.dispose();
    await single.dispose();
  }
}

let wasm: unknown;
try {
  wasm = await wasmThreads();
} catch (error) {
  wasm = `error: ${error instanceof Error ? error.message : String(error)}`;
}
const out = document.getElementById('out')!;
out.textContent = JSON.stringify({ losses, wasm });
out.dataset.done = '1';
