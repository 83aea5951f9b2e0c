import { it } from 'vitest';
import { createWebGpuReadPass } from '../src/createWebGpuReadPass.ts';
import { createWebGpuBackend } from '../src/index.ts';
import { randomProblem } from '../test/helpers.ts';

/*
 * Interleaved A/B timing on this machine's adapter: for each shape, blocks of calls of the read
 * pass, forward and forwardBackward in turn; a task's figure is the median over blocks of the
 * block's median. Prints ratios to the read pass (the targets: forward within 3x at the
 * first two shapes, 10x at the third; forwardBackward within 1.5x of forward).
 */
const SHAPES: readonly [number, number, number][] = (
  process.env.MLML_SPEED_SHAPES ?? '1024x1000x5,256x10000x50,16x100000x1000'
)
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number, number]);
const BLOCKS = Number(process.env.MLML_SPEED_BLOCKS ?? 7);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

it('speed against the read pass (interleaved medians)', async () => {
  const backend = await createWebGpuBackend();
  const readPass = await createWebGpuReadPass({ device: backend.device });
  try {
    for (const [n, c, j] of SHAPES) {
      const { input, target } = randomProblem(n, c, j, 1);
      const tasks: Record<string, () => Promise<unknown>> = {
        read: () => readPass.run(input.data, target.data),
        forward: () => backend.forward(input, target),
        fwdbwd: () => backend.forwardBackward(input, target),
      };
      for (const task of Object.values(tasks)) await task();
      const perBlock: Record<string, number[]> = { read: [], forward: [], fwdbwd: [] };
      for (let b = 0; b < BLOCKS; b++) {
        for (const [name, task] of Object.entries(tasks)) {
          const times: number[] = [];
          for (let k = 0; k < 3; k++) {
            const t0 = performance.now();
            await task();
            times.push(performance.now() - t0);
          }
          perBlock[name]?.push(median(times));
        }
      }
      const read = median(perBlock.read ?? []);
      const forward = median(perBlock.forward ?? []);
      const fwdbwd = median(perBlock.fwdbwd ?? []);
      console.log(
        `${n}x${c} J=${j}: read ${read.toFixed(2)} ms, forward ${forward.toFixed(2)} ms (${(forward / read).toFixed(2)}x read), ` +
          `fwd+bwd ${fwdbwd.toFixed(2)} ms (${(fwdbwd / forward).toFixed(2)}x forward)`,
      );
    }
  } finally {
    await readPass.dispose();
    await backend.dispose();
  }
});
