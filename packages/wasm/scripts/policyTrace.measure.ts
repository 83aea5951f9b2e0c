import { LossBackend } from '@mlml/core-spec';
import { it } from 'vitest';
import { WASM_CAPABILITIES } from '../src/index.js';
import { type CallShape, type Placement, ThreadPolicy } from '../src/ThreadPolicy.js';
import { instantiateKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';
import { WorkerTeam } from '../src/WorkerTeam.js';

class Traced extends ThreadPolicy {
  log: string[] = [];
  override record(shape: CallShape, placement: Placement, ms: number): void {
    this.log.push(`${placement[0]}${ms.toFixed(1)}`);
    super.record(shape, placement, ms);
  }
}

it('trace', async () => {
  const kernels = await instantiateKernels(65_536, true);
  const team = await WorkerTeam.start(kernels.module, kernels.memory, 1);
  const policy = new Traced();
  const b = new LossBackend('wasm', WASM_CAPABILITIES, new WasmLossKernel(kernels, undefined, team, policy));
  const [n, c] = [Number(process.env.N ?? 1024), Number(process.env.C ?? 1000)];
  const x = { data: new Float32Array(n * c).map(() => Math.random()), shape: [n, c] };
  const t = new Int32Array(n * c).fill(-1);
  for (let r = 0; r < n; r++) for (let j = 0; j < 5; j++) t[r * c + j] = (r * 7 + j * 13) % c;
  const y = { data: t, shape: [n, c] };
  for (let i = 0; i < 80; i++) await (process.env.FWD ? b.forward(x, y) : b.forwardBackward(x, y));
  console.log(policy.log.join(' '));
  await b.dispose();
});
