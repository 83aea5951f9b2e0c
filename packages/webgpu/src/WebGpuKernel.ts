import {
  type BackwardProblem,
  type GpuKernelResult,
  type GpuLossKernel,
  type GpuProblem,
  type GpuTensor,
  gpuTargetOutOfRangeError,
  gradientUnit,
  type KernelResult,
  LossError,
  type LossKernel,
  type Problem,
  type Reduction,
  reduceRowSums,
} from '@mlml/core-spec';
import type { AcquiredDevice, EffectiveLimits } from './acquireDevice.js';
import { BufferPool, type BufferPoolStats } from './BufferPool.js';
import { GpuTargetCount } from './countGpuTargets.js';
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, STORAGE, UNIFORM } from './gpuFlags.js';
import { LossPipelines, type Mode, type OutputPipelines, type PassPipelines } from './LossPipelines.js';
import { type ChunkPlan, dispatchGrid, planChunks } from './planChunks.js';
import {
  LOSS_WORKGROUP_SIZE,
  NO_BAD_TARGET,
  PREP_WORKGROUP_SIZE,
  STATUS_WORDS,
  TargetPath,
} from './shaders.js';

const STORAGE_IN = STORAGE | COPY_DST;
const TWO_POW_64 = 2 ** 64;
const PARAMS_BYTES = 48;

/** What a kernel holds on the GPU, for tests and diagnostics. */
export interface WebGpuResourceStats extends BufferPoolStats {
  /** Compute pipelines compiled so far (prep and finish per mode used, an element pass per mode and target path used; each compiled once). */
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

/** One call in the kernel's terms: typed arrays or the caller's GPU buffers. */
interface Job {
  readonly mode: Mode;
  readonly batch: number;
  readonly classes: number;
  /** Needed for a loss computed on the GPU; typed results are reduced by core-spec. */
  readonly reduction?: Reduction;
  readonly input: Float32Array | GPUBuffer;
  readonly target: Int32Array | GPUBuffer;
  /** Per row, fl32(g * grad_output), for gradients. */
  readonly gradScale: Float32Array | undefined;
  /** Results stay on the GPU, in buffers the caller will own. */
  readonly onGpu: boolean;
  /** The caller's array for the gradient, when results come to the CPU. */
  readonly outGradient: Float32Array | undefined;
  /** The caller's buffers for results left on the GPU (else new ones are created). */
  readonly outBuffers?: { readonly output?: GPUBuffer; readonly gradInput?: GPUBuffer } | undefined;
}

/** What a call produced. */
interface JobResult {
  readonly rowTotals: Float64Array | undefined;
  readonly gradInput: Float32Array | undefined;
  readonly outputBuffer: GPUBuffer | undefined;
  readonly gradBuffer: GPUBuffer | undefined;
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
  readonly #targetCount: GpuTargetCount;
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
    this.#targetCount = new GpuTargetCount(this.#device);
    this.#dummyRead = this.#device.createBuffer({ size: 256, usage: STORAGE_IN });
    const dummy = (): GPUBuffer => this.#device.createBuffer({ size: 256, usage: STORAGE });
    this.#dummyWrites = [dummy(), dummy(), dummy()];
    this.#lostPromise = this.#device.lost.then((info) => {
      this.#lost = info;
      return info;
    });
  }

  /** A kernel on an acquired device; it compiles the forward pipelines of rows of few targets now, the others on first use. */
  static async create(acquired: AcquiredDevice): Promise<WebGpuKernel> {
    const pipelines = new LossPipelines(acquired.device);
    await pipelines.compile('forward', TargetPath.registers, false);
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
    return (await this.#runTyped(problem, 'forward', undefined)).output;
  }

  /** The gradient data (length N * C). */
  async backward(problem: BackwardProblem): Promise<Float32Array> {
    return (await this.#runTyped(problem, 'backward', problem.gradOutput)).gradInput;
  }

  /** Loss and gradient from one fused pass. */
  async forwardBackward(problem: BackwardProblem): Promise<KernelResult> {
    return this.#runTyped(problem, 'fused', problem.gradOutput);
  }

  /** The GPU-resident entry points (GpuTensor inputs, `outputLocation: 'gpu-buffer'`). */
  readonly gpu: GpuLossKernel = {
    forward: async (problem) => (await this.#runGpu(problem, 'forward', undefined)).output,
    backward: async (problem) => (await this.#runGpu(problem, 'backward', problem.gradOutput)).gradInput,
    forwardBackward: (problem) => this.#runGpu(problem, 'fused', problem.gradOutput),
  };

  /** Frees the buffers; destroys the device only when the kernel created it. */
  async dispose(): Promise<void> {
    this.#pool.clear();
    this.#dummyRead.destroy();
    for (const buffer of this.#dummyWrites) buffer.destroy();
    if (this.#ownsDevice) this.#device.destroy();
  }

  async #runTyped(
    problem: Problem,
    mode: Mode,
    gradOutput: Problem['input'] | undefined,
  ): Promise<{ output: Float32Array; gradInput: Float32Array }> {
    const result = await this.#execute({
      mode,
      batch: problem.batch,
      classes: problem.classes,
      input: problem.input as Float32Array,
      target: problem.target,
      gradScale: mode === 'forward' ? undefined : gradientScales(problem, gradOutput as Problem['input']),
      onGpu: false,
      outGradient: problem.out?.gradInput as Float32Array | undefined,
    });
    const output =
      result.rowTotals === undefined
        ? new Float32Array(0)
        : (reduceRowSums(problem, result.rowTotals) as Float32Array);
    return { output, gradInput: result.gradInput ?? new Float32Array(0) };
  }

  async #runGpu(
    problem: GpuProblem,
    mode: Mode,
    gradOutput: Float32Array | undefined,
  ): Promise<GpuKernelResult> {
    const { batch, classes, reduction } = problem;
    const source = <T extends Float32Array | Int32Array>(
      data: T | GpuTensor,
      what: string,
    ): T | GPUBuffer => {
      if (data instanceof Float32Array || data instanceof Int32Array) return data as T;
      const buffer = data.buffer as GPUBuffer;
      if (typeof buffer.usage !== 'number' || (buffer.usage & STORAGE) === 0) {
        throw new LossError(
          'INVALID_DTYPE',
          `webgpu: the ${what} GpuTensor's buffer needs GPUBufferUsage.STORAGE (a GPUBuffer of this backend's device)`,
        );
      }
      return buffer;
    };
    const onGpu = problem.outputLocation === 'gpu-buffer';
    const result = await this.#execute({
      mode,
      batch,
      classes,
      input: source(problem.input as Float32Array | GpuTensor, 'input'),
      target: source(problem.target as Int32Array | GpuTensor, 'target'),
      gradScale: gradOutput === undefined ? undefined : gradientScales(problem, gradOutput),
      onGpu,
      outGradient: problem.out?.gradInput as Float32Array | undefined,
      reduction,
      outBuffers: outBuffersOf(problem),
    });
    const typedOutput = (): Float32Array => {
      if (result.rowTotals === undefined) return new Float32Array(0);
      const asProblem = { ...problem, input: new Float32Array(0), target: new Int32Array(0) } as Problem;
      return reduceRowSums(asProblem, result.rowTotals) as Float32Array;
    };
    const tensor = (buffer: GPUBuffer, shape: readonly number[]): GpuTensor<GPUBuffer> => ({
      buffer,
      shape: [...shape],
      dtype: 'float32',
    });
    return {
      output:
        result.outputBuffer !== undefined ? tensor(result.outputBuffer, problem.outputShape) : typedOutput(),
      gradInput:
        result.gradBuffer !== undefined
          ? tensor(result.gradBuffer, problem.inputShape)
          : (result.gradInput ?? new Float32Array(0)),
    };
  }

  /**
   * Runs a call: plans chunks, uploads every typed chunk now (the caller may refill its arrays as
   * soon as the promise is returned), encodes every chunk into one command encoder, submits once,
   * and waits only for what must come back (results on the CPU, the range check of a GPU target).
   */
  async #execute(job: Job): Promise<JobResult> {
    this.#throwIfLost();
    const { batch, classes, mode } = job;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const gpuData = !(job.input instanceof Float32Array) || !(job.target instanceof Int32Array);
    const gpuTarget = !(job.target instanceof Int32Array);
    if (gpuTarget && batch * classes >= NO_BAD_TARGET) {
      throw new LossError(
        'INPUT_TOO_LARGE',
        `webgpu: a GPU-resident target of ${batch * classes} elements is more than the ${NO_BAD_TARGET - 1} its range check can index`,
      );
    }
    const align = this.#device.limits.minStorageBufferOffsetAlignment;
    const rowAlignment = gpuData ? align / gcd(classes * 4, align) : 1;
    // The count below waits: a typed input beside a GPU target is read now all the same.
    if (gpuTarget && job.input instanceof Float32Array) job = { ...job, input: job.input.slice() };
    // A GPU target's J is counted on the GPU first, so that both kinds of target are planned alike.
    const maxTargets =
      job.target instanceof Int32Array
        ? maxTargetCount(job.target, batch, classes)
        : await this.#targetCount.largest(
            { target: job.target, batch, classes, rowAlignment },
            this.#pool,
            this.#limits,
            (work) => this.#whileAlive(work),
          );
    const plan = planChunks({ batch, classes, maxTargets, withGradient, rowAlignment }, this.#limits);
    const wantsOutputPass = job.onGpu && withLoss;
    let pipelines = this.#pipelines.ready(mode, plan.path, gpuTarget);
    let output = wantsOutputPass ? this.#outputPipelines : undefined;
    if (pipelines === undefined || (wantsOutputPass && output === undefined)) {
      // The first call of a mode waits for its pipelines: it reads the caller's arrays now all the same.
      if (job.input instanceof Float32Array) job = { ...job, input: job.input.slice() };
      if (job.target instanceof Int32Array) job = { ...job, target: job.target.slice() };
      [pipelines, output] = await this.#whileAlive(
        Promise.all([
          this.#pipelines.compile(mode, plan.path, gpuTarget),
          wantsOutputPass ? this.#compileOutput() : undefined,
        ]),
      );
    }
    const held: GPUBuffer[] = [];
    const created: GPUBuffer[] = [];
    const readbacks: ChunkReadback[] = [];
    const written: { output?: GPUBuffer | undefined; gradInput?: GPUBuffer | undefined } = {};
    let statusRead: GPUBuffer | undefined;
    this.#device.pushErrorScope('out-of-memory');
    this.#device.pushErrorScope('validation');
    let encodeError: unknown;
    try {
      statusRead = this.#encode(job, pipelines, output, plan, held, created, readbacks, written);
    } catch (error) {
      encodeError = error;
    }
    // Both scopes are popped now, before any other call can push its own.
    const [validation, outOfMemory] = await Promise.all([
      this.#device.popErrorScope(),
      this.#device.popErrorScope(),
    ]);
    const fail = (): void => {
      this.#releaseAll(held);
      for (const buffer of created) buffer.destroy();
    };
    if (encodeError !== undefined || validation !== null || outOfMemory !== null) {
      fail();
      this.#throwIfLost();
      if (outOfMemory !== null) {
        throw new LossError('INPUT_TOO_LARGE', `webgpu: out of GPU memory: ${outOfMemory.message}`);
      }
      if (validation !== null && gpuData) {
        throw new LossError(
          'UNSUPPORTED_LOCATION',
          `webgpu: a GpuTensor could not be used (a buffer of another device, destroyed or mapped?): ${validation.message}`,
        );
      }
      if (validation !== null) throw new Error(`webgpu: internal validation error: ${validation.message}`);
      throw encodeError;
    }
    // The caller's `out` array when given (every element is written), else a fresh one, its pages
    // touched while the GPU works (first touches of a large array cost as much as a pass here).
    const gradInput =
      withGradient && !job.onGpu ? (job.outGradient ?? new Float32Array(batch * classes).fill(0)) : undefined;
    const maps = [
      statusRead?.mapAsync(MAP_MODE_READ, 0, 16),
      ...readbacks.flatMap((chunk) => [
        chunk.lossRead?.mapAsync(MAP_MODE_READ, 0, chunk.rows * 16),
        chunk.gradRead?.mapAsync(MAP_MODE_READ, 0, chunk.rows * classes * 4),
      ]),
    ];
    try {
      await this.#whileAlive(Promise.all(maps));
    } catch (error) {
      fail();
      this.#throwIfLost();
      throw error;
    }
    if (statusRead !== undefined) {
      const [bad, value] = new Uint32Array(statusRead.getMappedRange(0, 8));
      statusRead.unmap();
      if (bad !== undefined && bad !== NO_BAD_TARGET) {
        for (const chunk of readbacks) {
          chunk.lossRead?.unmap();
          chunk.gradRead?.unmap();
        }
        fail();
        throw gpuTargetOutOfRangeError((value as number) | 0, bad, classes);
      }
    }
    const rowTotals = withLoss && !job.onGpu ? new Float64Array(batch) : undefined;
    for (const { start, rows, lossRead, gradRead } of readbacks) {
      if (lossRead !== undefined && rowTotals !== undefined) {
        const sums = new Float32Array(lossRead.getMappedRange(0, rows * 16));
        for (let r = 0; r < rows; r++) rowTotals[start + r] = combine(sums, r * 4);
        lossRead.unmap();
      }
      if (gradRead !== undefined && gradInput !== undefined) {
        gradInput.set(new Float32Array(gradRead.getMappedRange(0, rows * classes * 4)), start * classes);
        gradRead.unmap();
      }
    }
    this.#releaseAll(held);
    return {
      rowTotals,
      gradInput,
      outputBuffer: written.output,
      gradBuffer: written.gradInput,
    };
  }

  #outputPipelines: OutputPipelines | undefined;

  async #compileOutput(): Promise<OutputPipelines> {
    this.#outputPipelines = await this.#pipelines.output();
    return this.#outputPipelines;
  }

  /**
   * Uploads every typed chunk (now) and encodes every chunk into one encoder, submitted once.
   * Returns the buffer the range check of a GPU target is read back from, if any.
   */
  #encode(
    job: Job,
    pipelines: PassPipelines,
    output: OutputPipelines | undefined,
    plan: ChunkPlan,
    held: GPUBuffer[],
    created: GPUBuffer[],
    readbacks: ChunkReadback[],
    written: { output?: GPUBuffer | undefined; gradInput?: GPUBuffer | undefined },
  ): GPUBuffer | undefined {
    const device = this.#device;
    const { batch, classes, mode, gradScale } = job;
    const withLoss = mode !== 'backward';
    const withGradient = mode !== 'forward';
    const acquire = (bytes: number, usage: number): GPUBuffer => {
      const buffer = this.#pool.acquire(bytes, usage);
      held.push(buffer);
      return buffer;
    };
    const create = (bytes: number): GPUBuffer => {
      const buffer = device.createBuffer({ size: Math.max(4, bytes), usage: STORAGE | COPY_SRC | COPY_DST });
      created.push(buffer);
      return buffer;
    };
    const outputLength = job.reduction === 'none' ? batch : 1;
    const outputBuffer =
      job.onGpu && withLoss ? (job.outBuffers?.output ?? create(outputLength * 4)) : undefined;
    const gradBuffer =
      job.onGpu && withGradient ? (job.outBuffers?.gradInput ?? create(batch * classes * 4)) : undefined;
    written.output = outputBuffer;
    written.gradInput = gradBuffer;
    const allTotals = outputBuffer !== undefined ? acquire(batch * 16, STORAGE | COPY_DST) : undefined;
    const maxRows = plan.rowsPerChunk;
    const sizes = {
      scratch: maxRows * plan.scratchStride * 4,
      status: STATUS_WORDS * 4 + (withGradient ? maxRows * plan.keyStride * 4 : 0),
      partials: withLoss ? maxRows * plan.segments * 16 : 0,
      grad: withGradient ? maxRows * classes * 4 : 0,
      rowTotals: withLoss ? maxRows * 16 : 0,
    };
    const shared: CallBuffers = {
      scratch: acquire(sizes.scratch, STORAGE_IN),
      status: acquire(sizes.status, STORAGE | COPY_DST | COPY_SRC),
      partials: withLoss ? acquire(sizes.partials, STORAGE) : this.#dummyWrites[0],
      grad: withGradient ? acquire(sizes.grad, STORAGE | COPY_SRC) : this.#dummyWrites[1],
      rowTotals: withLoss ? acquire(sizes.rowTotals, STORAGE | COPY_SRC) : this.#dummyWrites[2],
    };
    const sized = (buffer: GPUBuffer, size: number): GPUBufferBinding =>
      size === 0 ? { buffer } : { buffer, size };
    const checkRange = !(job.target instanceof Int32Array);
    if (checkRange) device.queue.writeBuffer(shared.status, 0, new Uint32Array([NO_BAD_TARGET, 0, 0, 0]));
    const encoder = device.createCommandEncoder();
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
          checkRange ? 1 : 0,
          start * classes,
          plan.buckets,
          plan.threadMaskWords,
          plan.path === TargetPath.dense ? 1 : 0,
          0,
        ]),
      );
      const bindData = (data: Float32Array | Int32Array | GPUBuffer): GPUBufferBinding => {
        if (!(data instanceof Float32Array || data instanceof Int32Array)) {
          return { buffer: data, offset: start * classes * 4, size: elementBytes };
        }
        const buffer = acquire(elementBytes, STORAGE_IN);
        upload(device, buffer, data, start * classes, rows * classes);
        return { buffer, size: elementBytes };
      };
      const inputBinding = bindData(job.input);
      const targetBinding = bindData(job.target);
      let scaleBuffer = this.#dummyRead;
      if (gradScale !== undefined) {
        scaleBuffer = acquire(rows * 4, STORAGE_IN);
        upload(device, scaleBuffer, gradScale, start, rows);
      }
      const bindGroup = device.createBindGroup({
        layout: this.#pipelines.layout,
        entries: [
          { binding: 0, resource: { buffer: params, size: PARAMS_BYTES } },
          { binding: 1, resource: inputBinding },
          { binding: 2, resource: targetBinding },
          { binding: 3, resource: sized(shared.scratch, sizes.scratch) },
          { binding: 4, resource: sized(shared.status, sizes.status) },
          { binding: 5, resource: sized(shared.grad, sizes.grad) },
          { binding: 6, resource: sized(scaleBuffer, gradScale === undefined ? 0 : rows * 4) },
          { binding: 7, resource: sized(shared.partials, sizes.partials) },
          { binding: 8, resource: sized(shared.rowTotals, sizes.rowTotals) },
        ],
      });
      // The prep sets bits and counts in zeroed scratch: a fill costs less than its per-row stores.
      encoder.clearBuffer(shared.scratch, 0, rows * plan.scratchStride * 4);
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, bindGroup);
      pass.setPipeline(pipelines.prep);
      this.#dispatch(pass, rows, PREP_WORKGROUP_SIZE);
      pass.setPipeline(pipelines.elements);
      this.#dispatch(pass, rows * plan.segments);
      pass.setPipeline(pipelines.finish);
      this.#dispatch(pass, rows);
      pass.end();
      let lossRead: GPUBuffer | undefined;
      let gradRead: GPUBuffer | undefined;
      if (withLoss && allTotals !== undefined) {
        encoder.copyBufferToBuffer(shared.rowTotals, 0, allTotals, start * 16, rows * 16);
      } else if (withLoss) {
        lossRead = acquire(rows * 16, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(shared.rowTotals, 0, lossRead, 0, rows * 16);
      }
      if (withGradient && gradBuffer !== undefined) {
        encoder.copyBufferToBuffer(shared.grad, 0, gradBuffer, start * classes * 4, elementBytes);
      } else if (withGradient) {
        gradRead = acquire(elementBytes, MAP_READ | COPY_DST);
        encoder.copyBufferToBuffer(shared.grad, 0, gradRead, 0, elementBytes);
      }
      readbacks.push({ start, rows, lossRead, gradRead });
    }
    if (outputBuffer !== undefined && allTotals !== undefined && output !== undefined) {
      const divisor = job.reduction === 'mean' ? batch * classes : classes;
      const high = Math.fround(divisor);
      const params = acquire(16, UNIFORM | COPY_DST);
      const words = new ArrayBuffer(16);
      new Uint32Array(words, 0, 1)[0] = batch;
      new Float32Array(words, 8, 2).set([high, divisor - high]);
      device.queue.writeBuffer(params, 0, words);
      const pipeline = job.reduction === 'none' ? output.perRow : output.total;
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: params, size: 16 } },
            { binding: 1, resource: { buffer: allTotals, size: batch * 16 } },
            { binding: 2, resource: { buffer: outputBuffer, size: outputLength * 4 } },
          ],
        }),
      );
      if (job.reduction === 'none') this.#dispatch(pass, batch);
      else pass.dispatchWorkgroups(1);
      pass.end();
    }
    let statusRead: GPUBuffer | undefined;
    if (checkRange) {
      statusRead = acquire(16, MAP_READ | COPY_DST);
      encoder.copyBufferToBuffer(shared.status, 0, statusRead, 0, 16);
    }
    device.queue.submit([encoder.finish()]);
    return statusRead;
  }

  #dispatch(pass: GPUComputePassEncoder, threads: number, workgroupSize = LOSS_WORKGROUP_SIZE): void {
    const [x, y] = dispatchGrid(
      Math.ceil(threads / workgroupSize),
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

/**
 * The caller's `out` GpuTensors' buffers, checked for the usage the kernel needs: the loss is
 * written by a shader (STORAGE), the gradient copied in (COPY_DST).
 */
function outBuffersOf(problem: GpuProblem): { output?: GPUBuffer; gradInput?: GPUBuffer } | undefined {
  const out = problem.gpuOut;
  if (out === undefined) return undefined;
  const buffers: { output?: GPUBuffer; gradInput?: GPUBuffer } = {};
  for (const [name, usage, flag] of [
    ['output', STORAGE, 'STORAGE'],
    ['gradInput', COPY_DST, 'COPY_DST'],
  ] as const) {
    const buffer = out[name]?.buffer as GPUBuffer | undefined;
    if (buffer === undefined) continue;
    if (typeof buffer.usage !== 'number' || (buffer.usage & usage) === 0) {
      throw new LossError('INVALID_OPTIONS', `webgpu: out.${name}'s buffer needs GPUBufferUsage.${flag}`);
    }
    buffers[name] = buffer;
  }
  return buffers;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
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
function gradientScales(
  problem: Pick<Problem, 'batch' | 'classes' | 'reduction'>,
  gradOutput: Problem['input'],
): Float32Array {
  const { batch, reduction } = problem;
  const g = gradientUnit(problem as Problem); // reads batch, classes and reduction only
  const scales = new Float32Array(batch);
  if (reduction === 'none') {
    for (let n = 0; n < batch; n++) scales[n] = g * (gradOutput[n] as number);
  } else {
    scales.fill(g * (gradOutput[0] as number));
  }
  return scales;
}
