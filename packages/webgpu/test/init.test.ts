import { isLossError } from '@mlml/core-spec';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebGpuReadPass } from '../src/createWebGpuReadPass.ts';
import { loadGpu as loadBrowserGpu } from '../src/gpuProvider.browser.ts';
import { createWebGpuBackend } from '../src/index.ts';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

const fakeGpu = (requestAdapter: () => Promise<GPUAdapter | null>): GPU =>
  ({ requestAdapter }) as unknown as GPU;

describe('initialisation failures reject with BACKEND_UNAVAILABLE and a reason', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('no adapter', async () => {
    const error = await rejection(createWebGpuBackend({ gpu: fakeGpu(async () => null) }));
    expect(isLossError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/no WebGPU adapter found/);
  });

  it('requestAdapter throwing', async () => {
    const error = await rejection(
      createWebGpuBackend({
        gpu: fakeGpu(async () => {
          throw new Error('driver crashed');
        }),
      }),
    );
    expect(isLossError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/requestAdapter failed: driver crashed/);
  });

  it('the adapter refusing a device', async () => {
    const adapter = {
      limits: {
        maxStorageBufferBindingSize: 1 << 27,
        maxBufferSize: 1 << 28,
        maxComputeWorkgroupsPerDimension: 65535,
      },
      requestDevice: async () => {
        throw new Error('limits too high');
      },
    } as unknown as GPUAdapter;
    const error = await rejection(createWebGpuBackend({ gpu: fakeGpu(async () => adapter) }));
    expect(isLossError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/refused a device: limits too high/);
  });

  it('the browser provider without navigator.gpu, and with it', async () => {
    vi.stubGlobal('navigator', {});
    await expect(loadBrowserGpu()).rejects.toThrow(/navigator\.gpu is not available/);
    const gpu = fakeGpu(async () => null);
    vi.stubGlobal('navigator', { gpu });
    await expect(loadBrowserGpu()).resolves.toBe(gpu);
  });
});

describe('the read pass (the bench limit)', () => {
  it('sums the same bytes the backend uploads', async () => {
    const readPass = await createWebGpuReadPass();
    try {
      const input = new Float32Array(100_000).map((_, i) => (i % 7) - 3);
      const target = new Int32Array(100_000).map((_, i) => (i % 5) - 1);
      let expected = 0;
      for (let i = 0; i < input.length; i++) expected += (input[i] as number) + (target[i] as number);
      expect(await readPass.run(input, target)).toBe(expected);
      expect(await readPass.run(input.subarray(0, 3), target.subarray(0, 3))).toBe(-3 - 2 - 1 + (-1 + 0 + 1));
    } finally {
      await readPass.dispose();
    }
    expect(
      isLossError(await rejection(readPass.run(new Float32Array(1), new Int32Array(1))), 'BACKEND_DISPOSED'),
    ).toBe(true);
  });
});

describe('the adapter', () => {
  it('capabilities name the adapter, and a fallback adapter is called a CPU emulation in the notes', async () => {
    const backend = await createWebGpuBackend();
    try {
      const { adapter, notes } = backend.capabilities;
      expect(typeof adapter.vendor).toBe('string');
      expect(typeof adapter.isFallbackAdapter).toBe('boolean');
      expect(notes?.[0]).toMatch(/^adapter: /);
      expect(notes?.[0]?.includes('CPU emulation')).toBe(adapter.isFallbackAdapter);
      // This machine has no GPU: SwiftShader must be reported as what it is.
      if (/swiftshader/i.test(adapter.architecture)) expect(adapter.isFallbackAdapter).toBe(true);
    } finally {
      await backend.dispose();
    }
  });

  it('a fallback adapter is taken only when no hardware adapter answers', async () => {
    const fake = (fallback: boolean, name: string) =>
      ({
        info: { vendor: name, architecture: name, description: '', isFallbackAdapter: fallback },
        limits: {
          maxStorageBufferBindingSize: 1 << 27,
          maxBufferSize: 1 << 28,
          maxComputeWorkgroupsPerDimension: 65535,
        },
        requestDevice: async () => {
          throw new Error(`device of ${name}`);
        },
      }) as unknown as GPUAdapter;
    const gpu = {
      requestAdapter: async (options?: GPURequestAdapterOptions) =>
        options?.powerPreference === 'high-performance' ? fake(false, 'hardware') : fake(true, 'software'),
    } as unknown as GPU;
    const error = await rejection(createWebGpuBackend({ gpu }));
    expect((error as Error).message).toMatch(/device of hardware/);
  });
});
