import { LossError } from '@mlml/core-spec';
import { acquireDevice, type WebGpuDeviceOptions } from './acquireDevice.js';
import { BufferPool } from './BufferPool.js';
import { COPY_DST, COPY_SRC, MAP_READ, STORAGE, UNIFORM } from './gpuFlags.js';
import { dispatchGrid } from './planChunks.js';
import { READ_PASS_WGSL, READ_PASS_WORKGROUP_SIZE } from './readPassShader.js';

/** The read-pass limit of the 'webgpu' backend, for the bench. */
export interface WebGpuReadPass {
  /**
   * Uploads `input` and `target` as the backend does and sums every element on the GPU, reading
   * back one number: the least work any loss kernel must do on this data.
   */
  run(input: Float32Array, target: Int32Array): Promise<number>;
  /** Frees the buffers and destroys the device it created. */
  dispose(): Promise<void>;
}

const MAX_THREADS = READ_PASS_WORKGROUP_SIZE * 64;

/** Creates the read pass on a device acquired like {@link createWebGpuBackend}'s. */
export async function createWebGpuReadPass(options: WebGpuDeviceOptions = {}): Promise<WebGpuReadPass> {
  const { device, ownsDevice, limits } = await acquireDevice(options);
  const module = device.createShaderModule({ code: READ_PASS_WGSL, label: 'mlml read pass' });
  const [shares, partials] = await Promise.all([
    device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'sumShares' } }),
    device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'sumPartials' } }),
  ]);
  const pool = new BufferPool(device);
  let disposed = false;

  async function runChunk(input: Float32Array, target: Int32Array): Promise<number> {
    const length = input.length;
    const threads = Math.min(MAX_THREADS, Math.max(1, length));
    const held = [
      pool.acquire(16, UNIFORM | COPY_DST),
      pool.acquire(length * 4, STORAGE | COPY_DST),
      pool.acquire(length * 4, STORAGE | COPY_DST),
      pool.acquire((threads + 1) * 4, STORAGE | COPY_SRC),
      pool.acquire(4, MAP_READ | COPY_DST),
    ] as const;
    const [params, inputBuffer, targetBuffer, partialBuffer, readBuffer] = held;
    device.queue.writeBuffer(params, 0, new Uint32Array([length, threads, 0, 0]));
    device.queue.writeBuffer(inputBuffer, 0, input.buffer, input.byteOffset, length * 4);
    device.queue.writeBuffer(targetBuffer, 0, target.buffer, target.byteOffset, length * 4);
    const entries = [
      { binding: 0, resource: { buffer: params, size: 16 } },
      { binding: 1, resource: { buffer: inputBuffer, size: length * 4 } },
      { binding: 2, resource: { buffer: targetBuffer, size: length * 4 } },
      { binding: 3, resource: { buffer: partialBuffer, size: (threads + 1) * 4 } },
    ];
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(shares);
    pass.setBindGroup(0, device.createBindGroup({ layout: shares.getBindGroupLayout(0), entries }));
    const [gx, gy] = dispatchGrid(
      Math.ceil(threads / READ_PASS_WORKGROUP_SIZE),
      limits.maxComputeWorkgroupsPerDimension,
    );
    pass.dispatchWorkgroups(gx, gy);
    pass.setPipeline(partials);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: partials.getBindGroupLayout(0),
        entries: [entries[0], entries[3]] as GPUBindGroupEntry[],
      }),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(partialBuffer, threads * 4, readBuffer, 0, 4);
    device.queue.submit([encoder.finish()]);
    await readBuffer.mapAsync(0x1);
    const value = new Float32Array(readBuffer.getMappedRange(0, 4))[0] as number;
    readBuffer.unmap();
    for (const buffer of held) pool.release(buffer);
    return value;
  }

  return {
    async run(input, target) {
      if (disposed) throw new LossError('BACKEND_DISPOSED', 'webgpu read pass: disposed');
      if (input.length !== target.length) {
        throw new LossError('INVALID_DTYPE', 'webgpu read pass: input and target lengths differ');
      }
      const chunk = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4);
      let sum = 0;
      for (let start = 0; start < input.length; start += chunk) {
        const end = Math.min(input.length, start + chunk);
        sum += await runChunk(input.subarray(start, end), target.subarray(start, end));
      }
      return sum;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      pool.clear();
      if (ownsDevice) device.destroy();
    },
  };
}
