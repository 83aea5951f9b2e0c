import { LossError } from '@mlml/core-spec';
import type { EffectiveLimits } from './acquireDevice.js';
import type { BufferPool } from './BufferPool.js';
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, STORAGE, UNIFORM } from './gpuFlags.js';
import { dispatchGrid, planTargetCountChunks } from './planChunks.js';
import { LOSS_WORKGROUP_SIZE } from './shaders.js';
import { TARGET_COUNT_WGSL } from './targetCountShader.js';

/** A GPU-resident target to count. */
export interface TargetCountRequest {
  readonly target: GPUBuffer;
  readonly batch: number;
  readonly classes: number;
  /** Chunk starts must be multiples of this many rows (aligned buffer offsets). */
  readonly rowAlignment: number;
}

/**
 * The largest J of a GPU-resident target (see targetCountShader.ts): one small pass and a 4-byte
 * readback, so that the loss passes are planned (target path, scratch, threads per row) for the
 * J the rows have rather than for J = C.
 */
export class GpuTargetCount {
  readonly #device: GPUDevice;
  #pipeline: Promise<GPUComputePipeline> | undefined;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** The largest J of any row. Buffers come from `pool` and go back to it once read. */
  async largest(
    request: TargetCountRequest,
    pool: BufferPool,
    limits: EffectiveLimits,
    whileAlive: <T>(work: Promise<T>) => Promise<T>,
  ): Promise<number> {
    const pipeline = await whileAlive(this.#compile());
    const device = this.#device;
    const held: GPUBuffer[] = [];
    const acquire = (bytes: number, usage: number): GPUBuffer => {
      const buffer = pool.acquire(bytes, usage);
      held.push(buffer);
      return buffer;
    };
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let encodeError: unknown;
      let read: GPUBuffer | undefined;
      try {
        read = this.#submit(request, pipeline, acquire, limits);
      } catch (error) {
        encodeError = error;
      }
      // Both scopes are popped now, before any other call can push its own.
      const [validation, outOfMemory] = await whileAlive(
        Promise.all([device.popErrorScope(), device.popErrorScope()]),
      );
      if (outOfMemory !== null) {
        throw new LossError('INPUT_TOO_LARGE', `webgpu: out of GPU memory: ${outOfMemory.message}`);
      }
      if (validation !== null) {
        throw new LossError(
          'UNSUPPORTED_LOCATION',
          `webgpu: a GpuTensor could not be used (a buffer of another device, destroyed or mapped?): ${validation.message}`,
        );
      }
      if (encodeError !== undefined || read === undefined) throw encodeError;
      await whileAlive(read.mapAsync(MAP_MODE_READ, 0, 4));
      const largest = new Uint32Array(read.getMappedRange(0, 4))[0] as number;
      read.unmap();
      return largest;
    } finally {
      for (const buffer of held) pool.release(buffer);
    }
  }

  /** Encodes and submits the count of every chunk; returns the buffer the result is read from. */
  #submit(
    request: TargetCountRequest,
    pipeline: GPUComputePipeline,
    acquire: (bytes: number, usage: number) => GPUBuffer,
    limits: EffectiveLimits,
  ): GPUBuffer {
    const device = this.#device;
    const { target, batch, classes } = request;
    const largest = acquire(4, STORAGE | COPY_SRC | COPY_DST);
    const read = acquire(4, MAP_READ | COPY_DST);
    device.queue.writeBuffer(largest, 0, new Uint32Array([0]));
    const rowsPerChunk = planTargetCountChunks(batch, classes, request.rowAlignment, limits);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let start = 0; start < batch; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, batch - start);
      const params = acquire(8, UNIFORM | COPY_DST);
      device.queue.writeBuffer(params, 0, new Uint32Array([rows, classes]));
      const entries = [
        { binding: 0, resource: { buffer: params, size: 8 } },
        { binding: 1, resource: { buffer: target, offset: start * classes * 4, size: rows * classes * 4 } },
        { binding: 2, resource: { buffer: largest, size: 4 } },
      ];
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      const [x, y] = dispatchGrid(
        Math.ceil(rows / LOSS_WORKGROUP_SIZE),
        limits.maxComputeWorkgroupsPerDimension,
      );
      pass.dispatchWorkgroups(x, y);
    }
    pass.end();
    encoder.copyBufferToBuffer(largest, 0, read, 0, 4);
    device.queue.submit([encoder.finish()]);
    return read;
  }

  #compile(): Promise<GPUComputePipeline> {
    if (this.#pipeline === undefined) {
      const module = this.#device.createShaderModule({ code: TARGET_COUNT_WGSL, label: 'mlml target count' });
      const compiling = this.#device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      compiling.catch(() => {
        this.#pipeline = undefined;
      });
      this.#pipeline = compiling;
    }
    return this.#pipeline;
  }
}
