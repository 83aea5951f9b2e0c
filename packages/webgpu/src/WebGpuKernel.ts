import {
  type BackwardProblem,
  gradientUnit,
  type KernelResult,
  LossError,
  type LossKernel,
  type Problem,
  reduceRowSums,
} from '@mlml/core-spec';
import type { AcquiredDevice, EffectiveLimits } from './acquireDevice.js';
import { BufferPool, type BufferPoolStats } from './BufferPool.js';
import { LossPipelines, type Mode, type PassPipelines } from './LossPipelines.js';
import { type ChunkPlan, dispatchGrid, planChunks } from './planChunks.js';
import { LOSS_WORKGROUP_SIZE, NO_BAD_TARGET, STATUS_WORDS } from './shaders.js';

// The spec's flag values, so that no global (which Dawn only installs on request) is needed.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const STORAGE_IN = STORAGE | COPY_DST;
const MAP_MODE_READ = 0x1;
const TWO_POW_64 = 2 ** 64;
const PARAMS_BYTES = 32;

/** What a kernel holds on the GPU, for tests and diagnostics. */
export interface WebGpuResourceStats extends BufferPoolStats {
  /** Compute pipelines compiled so far (3 per mode used; each mode compiled once). */
  readonly pipelines: number;
}

/** Buffers a call shares between its chunks (dispatches in one encoder run in order). */
interface CallBuffers {
  readonly scratch: GPUBuffer;
  readonly status: GPUBuffer;
  readonly partials: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly rowTotals: GPUBuffer;
}

/** What a chunk reads back once the GPU is done. */
interface ChunkReadback {
  readonly start: number;
  readonly rows: number;
  readonly lossRead: GPUBuffer | undefined;
  readonly gradRead: GPUBuffer | undefined;
}

/**
 * The WGSL kernel behind the 'webgpu' backend (see shaders.ts for the passes). A call uploads
 * every chunk's data before it returns its promise (the caller may refill its arrays at once),
 * encodes every chunk's passes into one command encoder, submits once, and reads back only what
 * was asked for: each row's double-float sums (finished in double on the host: divided by C, or
 * added up in row order and divided by C, and N) and/or the gradient, final from the GPU.
 */
export class WebGpuKernel implements LossKernel {
  readonly #device: GPUDevice;
  readonly #ownsDevice: boolean;
  readonly #limits: EffectiveLimits;
  readonly #pool: BufferPool;
  readonly #pipelines: LossPipelines;
  readonly #dummyRead: GPUBuffer;
  /** Stand-ins for writable bindings a mode does not use (grad, partials, row totals): distinct, as writable bindings may not alias. */
  readonly #dummyWrites: readonly [GPUBuffer, GPUBuffer, GPUBuffer];
  #lost: GPUDeviceLostInfo | undefined;
  readonly #lostPromise: Promise<GPUDeviceLostInfo>;

  private constructor(acquired: AcquiredDevice, pipelines: LossPipelines) {
    this.#device = acquired.device;
    this.#ownsDevice = acquired.ownsDevice;
    this.#limits = acquired.limits;
    this.#pipelines = pipelines;
    this.#pool = new BufferPool(this.#device);
    this.#dummyRead = this.#device.createBuffer({ size: 256, usage: STORAGE_IN });
    const dummy = (): GPUBuffer => this.#device.createBuffer({ size: 256, usage: STORAGE });
    this.#dummyWrites = [dummy(), dummy(), dummy()];
    this.#lostPromise = this.#device.lost.then((info) => {
      this.#lost = info;
      return info;
    });
  }

  /** A kernel on an acquired device; it compiles the forward pipelines now, the others on first use. */
  static async create(acquired: AcquiredDevice): Promise<WebGpuKernel> {
    const pipelines = new LossPipelines(acquired.device);
    await pipelines.compile('forward');
    return new WebGpuKernel(acquired, pipelines);
  }

  /** The device the kernel runs on. */
  get device(): GPUDevice {
    return this.#device;
  }

  /** Live and pooled buffers and compiled pipelines. */
  resourceStats(): WebGpuResourceStats {
    return { ...this.#pool.stats(), pipelines: this.#pipelines.count };
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
    for (const buffer of this.#dummyWrites) buffer.destroy();
    if (this.#ownsDevice) this.#device.destroy();
  }

  async #run(
    problem: Problem,
    mode: Mode,
    gradOutput: Problem['input'] | undefined,
  ): Promise<{ output: Float32Array; gradInput: Float32Array }> {
    this.#throwIfLost();
    const { batch, classes } = problem;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const plan = planChunks(
      {
        batch,
        classes,
        maxTargets: maxTargetCount(problem.target, batch, classes),
        withGradient,
        rowAlignment: 1,
      },
      this.#limits,
    );
    const gradScale = withGradient ? gradientScales(problem, gradOutput as Problem['input']) : undefined;
    let pipelines = this.#pipelines.ready(mode);
    if (pipelines === undefined) {
      // The mode's first call waits for its pipelines: it reads the caller's arrays now all the same.
      problem = { ...problem, input: problem.input.slice(), target: problem.target.slice() };
      pipelines = await this.#whileAlive(this.#pipelines.compile(mode));
    }
    const held: GPUBuffer[] = [];
    const readbacks: ChunkReadback[] = [];
    this.#device.pushErrorScope('out-of-memory');
    this.#device.pushErrorScope('validation');
    let encodeError: unknown;
    try {
      this.#encode(problem, mode, pipelines, plan, gradScale, held, readbacks);
    } catch (error) {
      encodeError = error;
    }
    // Both scopes are popped now, before any other call can push its own.
    const [validation, outOfMemory] = await Promise.all([
      this.#device.popErrorScope(),
      this.#device.popErrorScope(),
    ]);
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
        Promise.all(
          readbacks.flatMap((chunk) => [
            chunk.lossRead?.mapAsync(MAP_MODE_READ, 0, chunk.rows * 16),
            chunk.gradRead?.mapAsync(MAP_MODE_READ, 0, chunk.rows * classes * 4),
          ]),
        ),
      );
    } catch (error) {
      this.#releaseAll(held);
      this.#throwIfLost();
      throw error;
    }
    const rowTotals = withLoss ? new Float64Array(batch) : undefined;
    // The caller's `out` array when given (every element is written), else a fresh one.
    const gradInput = withGradient
      ? ((problem.out?.gradInput as Float32Array | undefined) ?? new Float32Array(batch * classes))
      : new Float32Array(0);
    for (const { start, rows, lossRead, gradRead } of readbacks) {
      if (lossRead !== undefined && rowTotals !== undefined) {
        const sums = new Float32Array(lossRead.getMappedRange(0, rows * 16));
        for (let r = 0; r < rows; r++) rowTotals[start + r] = combine(sums, r * 4);
        lossRead.unmap();
      }
      if (gradRead !== undefined) {
        gradInput.set(new Float32Array(gradRead.getMappedRange(0, rows * classes * 4)), start * classes);
        gradRead.unmap();
      }
    }
    this.#releaseAll(held);
    const output =
      rowTotals === undefined ? new Float32Array(0) : (reduceRowSums(problem, rowTotals) as Float32Array);
    return { output, gradInput };
  }

  /** Uploads every chunk (now: the caller's arrays are read at call time) and submits once. */
  #encode(
    problem: Problem,
    mode: Mode,
    pipelines: PassPipelines,
    plan: ChunkPlan,
    gradScale: Float32Array | undefined,
    held: GPUBuffer[],
    readbacks: ChunkReadback[],
  ): void {
    const device = this.#device;
    const { batch, classes } = problem;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const acquire = (bytes: number, usage: number): GPUBuffer => {
      const buffer = this.#pool.acquire(bytes, usage);
      held.push(buffer);
      return buffer;
    };
    const maxRows = plan.rowsPerChunk;
    const sizes = {
      scratch: maxRows * plan.scratchStride * 4,
      status: STATUS_WORDS * 4 + (withGradient ? maxRows * plan.keyStride * 4 : 0),
      partials: withLoss ? maxRows * plan.segments * 16 : 0,
      grad: withGradient ? maxRows * classes * 4 : 0,
      rowTotals: withLoss ? maxRows * 16 : 0,
    };
    const shared: CallBuffers = {
      scratch: acquire(sizes.scratch, STORAGE),
      status: acquire(sizes.status, STORAGE | COPY_DST | COPY_SRC),
      partials: withLoss ? acquire(sizes.partials, STORAGE) : this.#dummyWrites[0],
      grad: withGradient ? acquire(sizes.grad, STORAGE | COPY_SRC) : this.#dummyWrites[1],
      rowTotals: withLoss ? acquire(sizes.rowTotals, STORAGE | COPY_SRC) : this.#dummyWrites[2],
    };
    const sized = (buffer: GPUBuffer, size: number): GPUBufferBinding =>
      size === 0 ? { buffer } : { buffer, size };
    device.queue.writeBuffer(shared.status, 0, new Uint32Array([NO_BAD_TARGET, 0, 0, 0]));
    const encoder = device.createCommandEncoder();
    const input = problem.input as Float32Array;
    for (let start = 0; start < batch; start += maxRows) {
      const rows = Math.min(maxRows, batch - start);
      const elementBytes = rows * classes * 4;
      const params = acquire(PARAMS_BYTES, UNIFORM | COPY_DST);
      device.queue.writeBuffer(
        params,
        0,
        new Uint32Array([
          rows,
          classes,
          plan.segments,
          plan.keyStride,
          plan.maskWords,
          plan.scratchStride,
          0,
          start * classes,
        ]),
      );
      const inputBuffer = acquire(elementBytes, STORAGE_IN);
      upload(device, inputBuffer, input, start * classes, rows * classes);
      const targetBuffer = acquire(elementBytes, STORAGE_IN);
      upload(device, targetBuffer, problem.target, start * classes, rows * classes);
      let scaleBuffer = this.#dummyRead;
      if (gradScale !== undefined) {
        scaleBuffer = acquire(rows * 4, STORAGE_IN);
        upload(device, scaleBuffer, gradScale, start, rows);
      }
      const bindGroup = device.createBindGroup({
        layout: this.#pipelines.layout,
        entries: [
          { binding: 0, resource: { buffer: params, size: PARAMS_BYTES } },
          { binding: 1, resource: { buffer: inputBuffer, size: elementBytes } },
          { binding: 2, resource: { buffer: targetBuffer, size: elementBytes } },
          { binding: 3, resource: sized(shared.scratch, sizes.scratch) },
          { binding: 4, resource: sized(shared.status, sizes.status) },
          { binding: 5, resource: sized(shared.grad, sizes.grad) },
          { binding: 6, resource: sized(scaleBuffer, gradScale === undefined ? 0 : rows * 4) },
          { binding: 7, resource: sized(shared.partials, sizes.partials) },
          { binding: 8, resource: sized(shared.rowTotals, sizes.rowTotals) },
        ],
      });
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, bindGroup);
      pass.setPipeline(pipelines.prep);
      this.#dispatch(pass, rows);
      pass.setPipeline(pipelines.elements);
      this.#dispatch(pass, rows * plan.segments);
      pass.setPipeline(pipelines.finish);
      this.#dispatch(pass, rows);
      pass.end();
      let lossRead: GPUBuffer | undefined;
      let gradRead: GPUBuffer | undefined;
      if (withLoss) {
        lossRead = acquire(rows * 16, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(shared.rowTotals, 0, lossRead, 0, rows * 16);
      }
      if (withGradient) {
        gradRead = acquire(elementBytes, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(shared.grad, 0, gradRead, 0, elementBytes);
      }
      readbacks.push({ start, rows, lossRead, gradRead });
    }
    device.queue.submit([encoder.finish()]);
  }

  #dispatch(pass: GPUComputePassEncoder, threads: number): void {
    const [x, y] = dispatchGrid(
      Math.ceil(threads / LOSS_WORKGROUP_SIZE),
      this.#limits.maxComputeWorkgroupsPerDimension,
    );
    pass.dispatchWorkgroups(x, y);
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

/**
 * Copies `length` elements of `source` from `from` into `buffer` now (writeBuffer takes its
 * snapshot at call time). Views of a SharedArrayBuffer are copied first: WebGPU implementations
 * may refuse them.
 */
function upload(
  device: GPUDevice,
  buffer: GPUBuffer,
  source: Float32Array | Int32Array,
  from: number,
  length: number,
): void {
  const view = source.subarray(from, from + length);
  const data = view.buffer instanceof ArrayBuffer ? view : view.slice();
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, length * 4);
}

/** The largest J (targets before the first -1) of any row. */
function maxTargetCount(target: Int32Array, batch: number, classes: number): number {
  let most = 0;
  for (let n = 0, offset = 0; n < batch; n++, offset += classes) {
    let j = 0;
    while (j < classes && (target[offset + j] as number) >= 0) j++;
    if (j > most) most = j;
    if (most === classes) break;
  }
  return most;
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
  const { batch, reduction } = problem;
  const g = gradientUnit(problem);
  const scales = new Float32Array(batch);
  if (reduction === 'none') {
    for (let n = 0; n < batch; n++) scales[n] = g * (gradOutput[n] as number);
  } else {
    scales.fill(g * (gradOutput[0] as number));
  }
  return scales;
}
