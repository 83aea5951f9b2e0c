// Is a call on a shared memory slower than on a private one? Same kernel, one thread, interleaved
// blocks. Run: npx vitest run --config scripts/vitest.measure.config.ts scripts/smallAB.measure.ts
import { LossBackend } from '@mlml/core-spec';
import { it } from 'vitest';
import { WASM_CAPABILITIES } from '../src/index.js';
import { instantiateKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';

it('small: shared vs private memory', async () => {
  const shared = new LossBackend(
    'wasm',
    WASM_CAPABILITIES,
    new WasmLossKernel(await instantiateKernels(65536, true)),
  );
  const own = new LossBackend(
    'wasm',
    WASM_CAPABILITIES,
    new WasmLossKernel(await instantiateKernels(65536, false)),
  );
  for (const [n, c] of [
    [32, 10],
    [128, 256],
  ] as const) {
    const x = { data: new Float32Array(n * c).map(() => Math.random()), shape: [n, c] };
    const t = new Int32Array(n * c).fill(-1);
    for (let r = 0; r < n; r++) for (let j = 0; j < 2; j++) t[r * c + j] = (r + j * 3) % c;
    const y = { data: t, shape: [n, c] };
    const times: Record<string, number[]> = { shared: [], own: [] };
    for (let b = 0; b < 15; b++) {
      for (const [name, be] of [
        ['shared', shared],
        ['own', own],
      ] as const) {
        const start = performance.now();
        let k = 0;
        while (performance.now() - start < 80) {
          await be.forward(x, y);
          k++;
        }
        times[name]!.push((performance.now() - start) / k);
      }
    }
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    console.log(
      `${n}x${c}: shared ${(med(times.shared!) * 1000).toFixed(1)} µs, own ${(med(times.own!) * 1000).toFixed(1)} µs`,
    );
  }
});
