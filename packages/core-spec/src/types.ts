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

/** Options of the loss, with PyTorch's names and meaning. */
export interface LossOptions {
  /** @default 'mean' */
  reduction?: Reduction;
  /** Deprecated PyTorch option; when set (not null/undefined) it overrides `reduction`. */
  size_average?: boolean | null;
  /** Deprecated PyTorch option; when set (not null/undefined) it overrides `reduction`. */
  reduce?: boolean | null;
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
