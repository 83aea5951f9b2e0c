import { isLossError } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.ts';
import { expectAgreement, randomProblem } from './helpers.ts';

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = await createWebGpuBackend();
});
afterAll(async () => {
  await backend?.dispose();
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(new Float32Array(a).buffer));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('size splitting within the device limits', () => {
  it('splits rows into chunks under artificially small limits, with identical results', async () => {
    const { input, target } = randomProblem(50, 100, 7, 3);
    // 4 KiB bindings: 9 or 10 rows of 100 classes per chunk; at most 2 workgroups per dimension.
    const small = await createWebGpuBackend({
      device: backend.device,
      limits: { maxStorageBufferBindingSize: 4096, maxComputeWorkgroupsPerDimension: 2 },
    });
    try {
      for (const reduction of ['none', 'sum'] as const) {
        const whole = await backend.forwardBackward(input, target, undefined, { reduction });
        const split = await small.forwardBackward(input, target, undefined, { reduction });
        expect(bits(split.output.data)).toEqual(bits(whole.output.data));
        expect(bits(split.gradInput.data)).toEqual(bits(whole.gradInput.data));
      }
      await expectAgreement(small, { input, target, options: { reduction: 'mean' } }, 'split');
    } finally {
      await small.dispose();
    }
  });

  it('rejects a row larger than the device allows with INPUT_TOO_LARGE', async () => {
    const small = await createWebGpuBackend({
      device: backend.device,
      limits: { maxStorageBufferBindingSize: 256 },
    });
    try {
      const { input, target } = randomProblem(1, 100, 2, 1);
      const error = await rejection(small.forward(input, target));
      expect(isLossError(error, 'INPUT_TOO_LARGE')).toBe(true);
      expect((error as Error).message).toMatch(/storage buffer limit/);
    } finally {
      await small.dispose();
    }
  });

  it('handles a row of 200,000 classes (a row far larger than a workgroup)', async () => {
    const classes = 200_000;
    const { input, target } = randomProblem(2, classes, 3, 11);
    await expectAgreement(backend, { input, target, options: { reduction: 'none' } }, 'C=200000');
  });

  it('handles a million rows (a 2-D dispatch beyond 65,535 workgroups per dimension)', async () => {
    const batch = 1 << 20;
    const { input, target } = randomProblem(batch, 2, 1, 5);
    const result = await backend.forward(input, target, { reduction: 'none' });
    expect(result.shape).toEqual([batch]);
    // Per row with C = 2 and target t: loss = max(0, 1 - x[t] + x[1 - t]) / 2.
    for (const n of [0, 1, 65_535, 65_536, 700_001, batch - 1]) {
      const t = target.data[2 * n] as number;
      const expected = Math.fround(
        Math.max(
          0,
          Math.fround(1 - (input.data[2 * n + t] as number)) + (input.data[2 * n + 1 - t] as number),
        ) / 2,
      );
      expect(result.data[n]).toBe(expected);
    }
  });
});

describe('resources', () => {
  it('does not grow over 2,000 calls (pooled buffers, compiled pipelines reused)', async () => {
    const shapes = [randomProblem(3, 17, 2, 1), randomProblem(8, 40, 5, 2), randomProblem(1, 5, 1, 3)];
    const call = async (i: number) => {
      const { input, target } = shapes[i % shapes.length] as (typeof shapes)[number];
      if (i % 2 === 0) await backend.forward(input, target);
      else await backend.forwardBackward(input, target);
    };
    for (let i = 0; i < 12; i++) await call(i);
    const before = backend.resourceStats();
    for (let i = 12; i < 2_000; i++) await call(i);
    const after = backend.resourceStats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.pipelines).toBe(9); // every mode used by now, each compiled once
    expect(after.liveBuffers).toBeLessThan(40);
  }, 90_000);

  it('rejects float64 with UNSUPPORTED_DTYPE (the capability says float32 only)', async () => {
    expect(backend.capabilities.dtypes).toEqual(['float32']);
    const error = await rejection(
      backend.forward(
        { data: new Float64Array([0.1, 0.2]), shape: [2] },
        { data: new Int32Array([0, -1]), shape: [2] },
      ),
    );
    expect(isLossError(error, 'UNSUPPORTED_DTYPE')).toBe(true);
  });

  it('dispose destroys the device it created; later calls fail with BACKEND_DISPOSED', async () => {
    const own = await createWebGpuBackend();
    const { input, target } = randomProblem(2, 5, 1, 1);
    await own.forward(input, target);
    await own.dispose();
    const lost = await own.device.lost;
    expect(lost.reason).toBe('destroyed');
    expect(isLossError(await rejection(own.forward(input, target)), 'BACKEND_DISPOSED')).toBe(true);
    await own.dispose(); // idempotent
  });

  it("never destroys a user's device; a lost device fails with DEVICE_LOST and a new backend starts afresh", async () => {
    const { loadGpu } = await import('../src/gpuProvider.node.ts');
    const adapter = await (await loadGpu()).requestAdapter();
    const device = await (adapter as GPUAdapter).requestDevice();
    const { input, target } = randomProblem(2, 5, 1, 1);
    const shared = await createWebGpuBackend({ device });
    await shared.forward(input, target);
    await shared.dispose();
    const notLost = await Promise.race([
      device.lost.then(() => 'lost'),
      new Promise((r) => setTimeout(() => r('alive'), 50)),
    ]);
    expect(notLost).toBe('alive');
    const second = await createWebGpuBackend({ device });
    await expectAgreement(second, { input, target }, 'shared device');
    device.destroy();
    await device.lost;
    const error = await rejection(second.forward(input, target));
    expect(isLossError(error, 'DEVICE_LOST')).toBe(true);
    expect((error as Error).message).toMatch(/device was lost \(destroyed/);
    await second.dispose();
    const fresh = await createWebGpuBackend();
    try {
      await expectAgreement(fresh, { input, target }, 'fresh backend');
    } finally {
      await fresh.dispose();
    }
  });
});

describe('pipelines', () => {
  it('a new backend compiles only the forward pipelines; the others on their first call', async () => {
    const fresh = await createWebGpuBackend({ device: backend.device });
    try {
      expect(fresh.resourceStats().pipelines).toBe(3);
      const { input, target } = randomProblem(3, 20, 2, 4);
      await expectAgreement(fresh, { input, target }, 'fresh pipelines');
      expect(fresh.resourceStats().pipelines).toBe(9);
    } finally {
      await fresh.dispose();
    }
  });
});
