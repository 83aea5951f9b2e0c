import {
  type BackwardProblem,
  type KernelResult,
  LossError,
  type LossKernel,
  type Problem,
} from '@mlml/core-spec';
import type { AcquiredDevice, EffectiveLimits } from './acquireDevice.js';
import { BufferPool, type BufferPoolStats } from './BufferPool.js';
import { dispatchGrid, planChunks } from './planChunks.js';
import { ROW_KERNEL_WGSL, THREAD_ROWS_KERNEL_WGSL, THREAD_ROWS_WORKGROUP_SIZE } from './shaders.js';

type Mode = 'forward' | 'backward' | 'fused';

// The spec's flag values, so that no global (which Dawn only installs on request) is needed.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const STORAGE_IN = STORAGE | COPY_DST;
const MAP_MODE_READ = 0x1;
const COMPUTE_STAGE = 0x4;
const TWO_POW_64 = 2 ** 64;

/** What a kernel holds on the GPU, for tests and diagnostics. */
export interface WebGpuResourceStats extends BufferPoolStats {
  /** Compute pipelines compiled (once, at creation). */
  readonly pipelines: number;
}

/**
 * How rows are mapped to threads: a workgroup per row (parallel within a row, for few large
 * rows), a thread per row (no barriers, for many rows), or `auto` to choose by shape.
 */
export type RowStrategy = 'auto' | 'workgroup-per-row' | 'thread-per-row';

type ModePipelines = Readonly<Record<Mode, GPUComputePipeline>>;

interface Pipelines {
  readonly workgroupPerRow: ModePipelines;
  readonly threadPerRow: ModePipelines;
  readonly rowLayout: GPUBindGroupLayout;
}

/** Rows per call from which a thread per row keeps every core busy anyway. */
const MANY_ROWS = 128;

/**
 * The WGSL kernel behind the 'webgpu' backend: cuts a validated float32 problem into chunks of
 * rows that fit the device's limits, runs a row kernel on each (a workgroup per row for few wide
 * rows, a thread per row for many) and finishes in double on the host: each row's double-float
 * sums are combined and divided by C, or added up in row order (a fixed order) and divided by C
 * (and N), then rounded to float32 once. Gradients come back final from the GPU.
 */
export class WebGpuKernel implements LossKernel {
  readonly #device: GPUDevice;
  readonly #ownsDevice: boolean;
  readonly #limits: EffectiveLimits;
  readonly #pool: BufferPool;
  readonly #pipelines: Pipelines;
  readonly #dummyRead: GPUBuffer;
  readonly #dummyWrite: GPUBuffer;
  #lost: GPUDeviceLostInfo | undefined;
  readonly #lostPromise: Promise<GPUDeviceLostInfo>;
  readonly #strategy: RowStrategy;

  private constructor(acquired: AcquiredDevice, pipelines: Pipelines, strategy: RowStrategy) {
    this.#strategy = strategy;
    this.#device = acquired.device;
    this.#ownsDevice = acquired.ownsDevice;
    this.#limits = acquired.limits;
    this.#pipelines = pipelines;
    this.#pool = new BufferPool(this.#device);
    this.#dummyRead = this.#device.createBuffer({ size: 256, usage: STORAGE_IN });
    this.#dummyWrite = this.#device.createBuffer({ size: 256, usage: STORAGE });
    this.#lostPromise = this.#device.lost.then((info) => {
      this.#lost = info;
      return info;
    });
  }

  /** Compiles the pipelines (once) on an acquired device. */
  static async create(acquired: AcquiredDevice, strategy: RowStrategy = 'auto'): Promise<WebGpuKernel> {
    return new WebGpuKernel(acquired, await compilePipelines(acquired.device), strategy);
  }

  /** The device the kernel runs on. */
  get device(): GPUDevice {
    return this.#device;
  }

  /** Live and pooled buffers and compiled pipelines. */
  resourceStats(): WebGpuResourceStats {
    return { ...this.#pool.stats(), pipelines: 6 };
  }

  /** The loss data (length N for `none`, else 1). */
  async forward(problem: Problem): Promise<Float32Array> {
    return (await this.#run(problem, 'forward', undefined)).output;
  }

  /** The gradient data (length N * C). */
  async backward(problem: BackwardProblem): Promise<Float32Array> {
    return (await this.#run(problem, 'backward', problem.gradOutput)).gradInput;
  }

  /** Loss and gradient from one fused pass. */
  async forwardBackward(problem: BackwardProblem): Promise<KernelResult> {
    return this.#run(problem, 'fused', problem.gradOutput);
  }

  /** Frees the buffers; destroys the device only when the kernel created it. */
  async dispose(): Promise<void> {
    this.#pool.clear();
    this.#dummyRead.destroy();
    this.#dummyWrite.destroy();
    if (this.#ownsDevice) this.#device.destroy();
  }

  async #run(
    problem: Problem,
    mode: Mode,
    gradOutput: Problem['input'] | undefined,
  ): Promise<{ output: Float32Array; gradInput: Float32Array }> {
    this.#throwIfLost();
    const { batch, classes, reduction } = problem;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const plan = planChunks(batch, classes, withGradient, this.#limits);
    const rowTotals = withLoss ? new Float64Array(reduction === 'none' ? batch : 1) : undefined;
    const gradInput = new Float32Array(withGradient ? batch * classes : 0);
    const gradScale = withGradient ? gradientScales(problem, gradOutput as Problem['input']) : undefined;
    for (let start = 0; start < batch; start += plan.rowsPerChunk) {
      const rows = Math.min(plan.rowsPerChunk, batch - start);
      await this.#runChunk(problem, mode, plan, start, rows, gradScale, gradInput, rowTotals);
    }
    const output = new Float32Array(withLoss ? (reduction === 'none' ? batch : 1) : 0);
    if (rowTotals !== undefined) {
      if (reduction === 'none') {
        for (let n = 0; n < batch; n++) output[n] = (rowTotals[n] as number) / classes;
      } else {
        let total = (rowTotals[0] as number) / classes;
        if (reduction === 'mean') total /= batch;
        output[0] = total;
      }
    }
    return { output, gradInput };
  }

  async #runChunk(
    problem: Problem,
    mode: Mode,
    plan: ReturnType<typeof planChunks>,
    start: number,
    rows: number,
    gradScale: Float32Array | undefined,
    gradInput: Float32Array,
    rowTotals: Float64Array | undefined,
  ): Promise<void> {
    const device = this.#device;
    const { classes, reduction } = problem;
    const input = problem.input as Float32Array;
    const target = problem.target;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const elementBytes = rows * classes * 4;
    const lossBytes = rows * 16;
    const held: GPUBuffer[] = [];
    const acquire = (bytes: number, usage: number): GPUBuffer => {
      const buffer = this.#pool.acquire(bytes, usage);
      held.push(buffer);
      return buffer;
    };
    const threadPerRow =
      this.#strategy === 'thread-per-row' ||
      (this.#strategy === 'auto' && (problem.batch >= MANY_ROWS || classes <= 64));
    const workgroups = threadPerRow ? Math.ceil(rows / THREAD_ROWS_WORKGROUP_SIZE) : rows;
    const [dispatchX, dispatchY] = dispatchGrid(workgroups, this.#limits.maxComputeWorkgroupsPerDimension);

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let lossRead: GPUBuffer | undefined;
    let gradRead: GPUBuffer | undefined;
    let encodeError: unknown;
    try {
      const params = acquire(32, UNIFORM | COPY_DST);
      device.queue.writeBuffer(
        params,
        0,
        new Uint32Array([rows, classes, plan.maskWords, plan.scratchStride, dispatchX]),
      );
      const inputBuffer = acquire(elementBytes, STORAGE_IN);
      device.queue.writeBuffer(
        inputBuffer,
        0,
        input.buffer,
        input.byteOffset + start * classes * 4,
        elementBytes,
      );
      const targetBuffer = acquire(elementBytes, STORAGE_IN);
      device.queue.writeBuffer(
        targetBuffer,
        0,
        target.buffer,
        target.byteOffset + start * classes * 4,
        elementBytes,
      );
      const scratch = acquire(rows * plan.scratchStride * 4, STORAGE);
      const gradBuffer = withGradient ? acquire(elementBytes, STORAGE | COPY_SRC) : this.#dummyWrite;
      let scaleBuffer = this.#dummyRead;
      if (gradScale !== undefined) {
        scaleBuffer = acquire(rows * 4, STORAGE_IN);
        device.queue.writeBuffer(
          scaleBuffer,
          0,
          gradScale.buffer,
          gradScale.byteOffset + start * 4,
          rows * 4,
        );
      }
      const rowLoss = withLoss ? acquire(rows * 16, STORAGE | COPY_SRC) : this.#dummyWrite;

      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline((threadPerRow ? this.#pipelines.threadPerRow : this.#pipelines.workgroupPerRow)[mode]);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: this.#pipelines.rowLayout,
          entries: [
            { binding: 0, resource: { buffer: params, size: 32 } },
            { binding: 1, resource: { buffer: inputBuffer, size: elementBytes } },
            { binding: 2, resource: { buffer: targetBuffer, size: elementBytes } },
            { binding: 3, resource: { buffer: scratch, size: rows * plan.scratchStride * 4 } },
            {
              binding: 4,
              resource: withGradient ? { buffer: gradBuffer, size: elementBytes } : { buffer: gradBuffer },
            },
            {
              binding: 5,
              resource:
                gradScale !== undefined ? { buffer: scaleBuffer, size: rows * 4 } : { buffer: scaleBuffer },
            },
            { binding: 6, resource: withLoss ? { buffer: rowLoss, size: rows * 16 } : { buffer: rowLoss } },
          ],
        }),
      );
      pass.dispatchWorkgroups(dispatchX, dispatchY);

      pass.end();
      if (withLoss) {
        lossRead = acquire(lossBytes, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(rowLoss, 0, lossRead, 0, lossBytes);
      }
      if (withGradient) {
        gradRead = acquire(elementBytes, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(gradBuffer, 0, gradRead, 0, elementBytes);
      }
      device.queue.submit([encoder.finish()]);
    } catch (error) {
      encodeError = error;
    }
    // Both scopes are popped now, before any other call can push its own.
    const [validation, outOfMemory] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
    if (encodeError !== undefined || validation !== null || outOfMemory !== null) {
      this.#releaseAll(held);
      this.#throwIfLost();
      if (outOfMemory !== null) {
        throw new LossError('INPUT_TOO_LARGE', `webgpu: out of GPU memory: ${outOfMemory.message}`);
      }
      if (validation !== null) throw new Error(`webgpu: internal validation error: ${validation.message}`);
      throw encodeError;
    }

    try {
      await this.#whileAlive(
        Promise.all([
          lossRead?.mapAsync(MAP_MODE_READ, 0, lossBytes),
          gradRead?.mapAsync(MAP_MODE_READ, 0, elementBytes),
        ]),
      );
    } catch (error) {
      this.#releaseAll(held);
      this.#throwIfLost();
      throw error;
    }
    if (lossRead !== undefined && rowTotals !== undefined) {
      const sums = new Float32Array(lossRead.getMappedRange(0, lossBytes));
      // Rows are added in order, in double, on the host (deterministic, and as exact as the
      // reference's double sum); the result is rounded to float32 once.
      if (reduction === 'none') {
        for (let r = 0; r < rows; r++) rowTotals[start + r] = combine(sums, r * 4);
      } else {
        let total = rowTotals[0] as number;
        for (let r = 0; r < rows; r++) total += combine(sums, r * 4);
        rowTotals[0] = total;
      }
      lossRead.unmap();
    }
    if (gradRead !== undefined) {
      gradInput.set(new Float32Array(gradRead.getMappedRange(0, elementBytes)), start * classes);
      gradRead.unmap();
    }
    this.#releaseAll(held);
  }

  #releaseAll(buffers: GPUBuffer[]): void {
    for (const buffer of buffers) this.#pool.release(buffer);
    buffers.length = 0;
  }

  async #whileAlive<T>(work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      this.#lostPromise.then((): never => {
        throw this.#lostError();
      }),
    ]);
  }

  #throwIfLost(): void {
    if (this.#lost !== undefined) throw this.#lostError();
  }

  #lostError(): LossError {
    const info = this.#lost;
    return new LossError(
      'DEVICE_LOST',
      `webgpu: the GPU device was lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''}); ` +
        'create a new backend',
    );
  }
}

/** A row's exact-enough sum from its double-float parts: small + big * 2^64, or +inf. */
function combine(sums: Float32Array, offset: number): number {
  const bigHi = sums[offset + 2] as number;
  if (bigHi === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return (
    (sums[offset] as number) +
    (sums[offset + 1] as number) +
    (bigHi + (sums[offset + 3] as number)) * TWO_POW_64
  );
}

/** Per row, fl32(g * grad_output): the factor each pair count is multiplied by. */
function gradientScales(problem: Problem, gradOutput: Problem['input']): Float32Array {
  const { batch, classes, reduction } = problem;
  const g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
  const scales = new Float32Array(batch);
  if (reduction === 'none') {
    for (let n = 0; n < batch; n++) scales[n] = g * (gradOutput[n] as number);
  } else {
    scales.fill(g * (gradOutput[0] as number));
  }
  return scales;
}

async function compilePipelines(device: GPUDevice): Promise<Pipelines> {
  const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
    binding,
    visibility: COMPUTE_STAGE,
    buffer: { type },
  });
  const uniform: GPUBindGroupLayoutEntry = {
    binding: 0,
    visibility: COMPUTE_STAGE,
    buffer: { type: 'uniform' },
  };
  const rowLayout = device.createBindGroupLayout({
    entries: [
      uniform,
      storage(1, 'read-only-storage'),
      storage(2, 'read-only-storage'),
      storage(3, 'storage'),
      storage(4, 'storage'),
      storage(5, 'read-only-storage'),
      storage(6, 'storage'),
    ],
  });
  const layout = device.createPipelineLayout({ bindGroupLayouts: [rowLayout] });
  const compile = async (code: string, label: string): Promise<ModePipelines> => {
    const module = device.createShaderModule({ code, label });
    const pipeline = (withLoss: boolean, withGrad: boolean): Promise<GPUComputePipeline> =>
      device.createComputePipelineAsync({
        layout,
        compute: {
          module,
          entryPoint: 'main',
          constants: { WITH_LOSS: withLoss ? 1 : 0, WITH_GRAD: withGrad ? 1 : 0 },
        },
      });
    const [forward, backward, fused] = await Promise.all([
      pipeline(true, false),
      pipeline(false, true),
      pipeline(true, true),
    ]);
    return { forward, backward, fused };
  };
  const [workgroupPerRow, threadPerRow] = await Promise.all([
    compile(ROW_KERNEL_WGSL, 'mlml workgroup-per-row kernel'),
    compile(THREAD_ROWS_KERNEL_WGSL, 'mlml thread-per-row kernel'),
  ]);
  return { workgroupPerRow, threadPerRow, rowLayout };
}
