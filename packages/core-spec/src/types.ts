/** Floating-point precision of an input tensor. */
export type Dtype = 'float32' | 'float64';

/** The typed arrays that hold input, output and gradient data. */
export type FloatArray = Float32Array | Float64Array;

/** How per-sample losses are combined, as in PyTorch. */
export type Reduction = 'none' | 'mean' | 'sum';

/** A dense, row-major (C order) tensor: `data.length` equals the product of `shape`. */
export interface Tensor<A> {
  /** The elements, row-major. */
  readonly data: A;
  /** The size of each dimension; `[]` is a scalar (0-dim) tensor. */
  readonly shape: readonly number[];
}

/**
 * Caller-owned arrays that a call writes its results into and returns, instead of allocating
 * fresh ones (a training loop reuses them call after call). Each must have the input's dtype and
 * the exact length of the result, and must not overlap the input, the target, the grad_output or
 * each other; otherwise the call is rejected with `INVALID_OPTIONS`. Their previous contents are
 * never read.
 */
export interface OutArrays {
  /** Receives the loss: length N for `reduction: 'none'` on 2-D input, else 1. */
  readonly output?: FloatArray;
  /** Receives the gradient w.r.t. the input: the input's length. */
  readonly gradInput?: FloatArray;
}

/** Where a call returns its results: as typed arrays, or as GPU buffers the caller then owns. */
export type OutputLocation = 'cpu' | 'gpu-buffer';

/** Options of the loss, with PyTorch's names and meaning, plus where results go. */
export interface LossOptions {
  /** @default 'mean' */
  reduction?: Reduction;
  /** Deprecated PyTorch option; when set (not null/undefined) it overrides `reduction`. */
  size_average?: boolean | null;
  /** Deprecated PyTorch option; when set (not null/undefined) it overrides `reduction`. */
  reduce?: boolean | null;
  /** Caller-owned arrays to write the results into (see {@link OutArrays}). @default undefined */
  out?: OutArrays;
  /**
   * `'gpu-buffer'` returns results as {@link GpuTensor}s, on a backend that keeps tensors on a
   * GPU (others reject it with `UNSUPPORTED_LOCATION`).
   * @default 'cpu'
   */
  outputLocation?: OutputLocation;
}

/**
 * A tensor that lives in a GPU buffer (e.g. a WebGPU `GPUBuffer`), dense and row-major like
 * {@link Tensor}. Only a backend that keeps tensors on a GPU accepts it; the others reject it with
 * `UNSUPPORTED_LOCATION`. Typed structurally, so core-spec needs no GPU typings.
 */
export interface GpuTensor<B = unknown> {
  /** The buffer holding the elements, from offset 0. */
  readonly buffer: B;
  /** The size of each dimension. */
  readonly shape: readonly number[];
  /** The element type: `'float32'` for inputs and results, `'int32'` for targets. */
  readonly dtype: 'float32' | 'int32';
}

/** How close a backend promises to be to the reference, per dtype: `|a - e| <= atol + rtol * scale`. */
export interface Tolerance {
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance. */
  readonly atol: number;
}

/** What a backend can do. */
export interface BackendCapabilities {
  /** The dtypes the backend computes; others are rejected with `UNSUPPORTED_DTYPE`. */
  readonly dtypes: readonly Dtype[];
  /** The accuracy the backend promises for each dtype it supports. */
  readonly tolerance: Readonly<Partial<Record<Dtype, Tolerance>>>;
  /** Whether the same call always gives bit-identical results. */
  readonly deterministic: boolean;
  /** CPU threads the backend computes on, where that applies (absent: one, or not a CPU). */
  readonly threads?: number;
  /** Facts a user should know about this instance, e.g. why it runs on fewer threads than asked. */
  readonly notes?: readonly string[];
}

/** The result of {@link ILossBackend.forwardBackward}. */
export interface ForwardBackwardResult {
  /** The loss, as `forward` returns it. */
  readonly output: Tensor<FloatArray>;
  /** The gradient of the loss w.r.t. the input, as `backward` returns it. */
  readonly gradInput: Tensor<FloatArray>;
}

/** One implementation of `MultiLabelMarginLoss`. Every backend computes exactly DESIGN §2. */
export interface ILossBackend {
  /** The name it is registered under, e.g. `'cpu-ts'`. */
  readonly name: string;
  /** What it supports and how accurate it is. */
  readonly capabilities: BackendCapabilities;
  /** The loss: shape `[N]` (or `[]` for 0-dim/1-D input) with `reduction: 'none'`, else `[]`. */
  forward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>>;
  /** The gradient w.r.t. `input` (same shape and dtype), scaled by `gradOutput`. */
  backward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>>;
  /** Loss and gradient together; `gradOutput` defaults to ones of the output's shape. */
  forwardBackward(
    input: Tensor<FloatArray>,
    target: Tensor<Int32Array>,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<ForwardBackwardResult>;
  /** Releases what the backend holds; any later call fails with `BACKEND_DISPOSED`. */
  dispose(): Promise<void>;
}
