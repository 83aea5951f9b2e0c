import type { Dtype, FloatArray } from '@mlml/core-spec';
import type { WasmArena } from './WasmArena.js';
import type { WasmKernels } from './WasmKernels.js';

/** The sizes a {@link CallLayout} is laid out for. */
export interface LayoutKey {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** The input's dtype. */
  readonly dtype: Dtype;
  /** Whether the call computes a gradient (then grad_output scales and a gradient are laid out). */
  readonly gradient: boolean;
  /** Worker threads that compute with this one (each gets scratch space of its own). */
  readonly workers: number;
}

/**
 * Where one call's regions sit in the module's memory (target, input, row sums, grad_output
 * scales, gradient, scratch) and views on them. A training loop makes the same call thousands of
 * times: the kernel keeps its last layout and reuses it while calls have the same sizes (see
 * {@link CallLayout.serves}), so such calls lay out nothing and make no views.
 */
export class CallLayout implements LayoutKey {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** The input's dtype. */
  readonly dtype: Dtype;
  /** Whether grad_output scales and a gradient are laid out. */
  readonly gradient: boolean;
  /** Worker threads with scratch space of their own. */
  readonly workers: number;
  /** Address of the N·C int32 targets. */
  readonly targetPtr: number;
  /** Address of the N·C input elements. */
  readonly inputPtr: number;
  /** Address of the N float64 row sums. */
  readonly sumsPtr: number;
  /** Address of the N float64 grad_output scales (0: not laid out). */
  readonly scalesPtr: number;
  /** Address of the N·C gradient elements (0: not laid out). */
  readonly gradPtr: number;
  /** Address of this thread's scratch space. */
  readonly scratch: number;
  /** Addresses of each worker's scratch space. */
  readonly workerScratch: readonly number[];
  /** View on the targets. */
  readonly target: Int32Array;
  /** View on the input. */
  readonly input: FloatArray;
  /** View on the row sums. */
  readonly sums: Float64Array;
  /** View on the grad_output scales, when laid out. */
  readonly scales: Float64Array | undefined;
  /** View on the gradient, when laid out. */
  readonly grad: FloatArray | undefined;

  /**
   * Lays out a call of `key`'s sizes in `arena` (growing the memory if needed). Throws core-spec's
   * `INPUT_TOO_LARGE` when the memory cannot hold it.
   */
  constructor(kernels: WasmKernels, arena: WasmArena, key: LayoutKey) {
    const { batch, classes, dtype, gradient, workers } = key;
    this.batch = batch;
    this.classes = classes;
    this.dtype = dtype;
    this.gradient = gradient;
    this.workers = workers;
    const elementBytes = dtype === 'float32' ? 4 : 8;
    const size = batch * classes;
    // A double computed in 64 bits: the arena checks it before any 32-bit address is formed.
    const scratchBytes = kernels.exports.scratchBytes(classes);
    arena.reset();
    this.targetPtr = arena.take(size * 4, 'the target');
    this.inputPtr = arena.take(size * elementBytes, 'the input');
    this.sumsPtr = arena.take(batch * 8, 'the row sums');
    this.scalesPtr = gradient ? arena.take(batch * 8, 'grad_output') : 0;
    this.gradPtr = gradient ? arena.take(size * elementBytes, 'the gradient') : 0;
    this.scratch = arena.take(scratchBytes, 'scratch space');
    const workerScratch: number[] = [];
    for (let i = 0; i < workers; i++) workerScratch.push(arena.take(scratchBytes, 'scratch space'));
    this.workerScratch = workerScratch;
    const buffer = arena.commit();
    const Float = dtype === 'float32' ? Float32Array : Float64Array;
    this.target = new Int32Array(buffer, this.targetPtr, size);
    this.input = new Float(buffer, this.inputPtr, size);
    this.sums = new Float64Array(buffer, this.sumsPtr, batch);
    this.scales = gradient ? new Float64Array(buffer, this.scalesPtr, batch) : undefined;
    this.grad = gradient ? new Float(buffer, this.gradPtr, size) : undefined;
  }

  /**
   * Copies rows [from, from + count) of the caller's input and target into the layout (the whole
   * problem, every small call's case, without subarray objects).
   */
  copyIn(input: FloatArray, target: Int32Array, from: number, count: number): void {
    if (from === 0 && count === this.batch) {
      this.target.set(target);
      this.input.set(input);
      return;
    }
    const start = from * this.classes;
    const end = start + count * this.classes;
    this.target.set(target.subarray(start, end), start);
    this.input.set(input.subarray(start, end), start);
  }

  /** Copies the gradient of rows [from, from + count) into `gradInput` (the whole gradient likewise). */
  copyOut(gradInput: FloatArray, from: number, count: number): void {
    const grad = this.grad!;
    if (from === 0 && count === this.batch) {
      gradInput.set(grad);
      return;
    }
    const start = from * this.classes;
    gradInput.set(grad.subarray(start, start + count * this.classes), start);
  }

  /**
   * Whether this layout serves a call of these sizes as it is: the same sizes, a gradient laid
   * out if the call computes one (a gradient layout serves forward calls too), views attached.
   */
  serves(batch: number, classes: number, dtype: Dtype, gradient: boolean, workers: number): boolean {
    return (
      this.batch === batch &&
      this.classes === classes &&
      this.dtype === dtype &&
      (this.gradient || !gradient) &&
      this.workers === workers &&
      // Defensive: only a new layout grows the memory, and it replaces this one; but views of a
      // private memory that grew are detached (length 0), and an empty batch's layout is cheap.
      this.sums.length === batch &&
      batch > 0
    );
  }
}
