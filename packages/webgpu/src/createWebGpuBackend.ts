import {
  type BackendCapabilities,
  type FloatArray,
  type ForwardBackwardResult,
  type GpuTensor,
  LossBackend,
  type LossOptions,
  type Tensor,
} from '@mlml/core-spec';
import { acquireDevice, type WebGpuAdapterDescription, type WebGpuDeviceOptions } from './acquireDevice.js';
import { WebGpuKernel, type WebGpuResourceStats } from './WebGpuKernel.js';

/** The name the backend is registered under. */
export const WEBGPU_BACKEND_NAME = 'webgpu';

/**
 * What 'webgpu' promises. float32 only (WGSL has no f64). Margin decisions and pair counts are
 * exact (taken on bits, as PyTorch decides them). Loss terms k * (x - t) + G are formed from exact
 * parts (TwoSum, exact split products) and added as double-float sums (about 48 bits, error below
 * 2^-34 of a row's sum), in a fixed order, finished in double on the host (or, for results left on
 * the GPU, divided in double-float there) and rounded to float32 once: within 1 ulp of the
 * reference. A gradient is count * fl32(g * grad_output): two roundings where the reference has
 * one, within 2 ulp. `atol` covers subnormals a GPU may flush.
 */
export const WEBGPU_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32'],
  tolerance: { float32: { rtol: 2.5e-7, atol: 1e-37 } },
  deterministic: true,
};

/** What one 'webgpu' backend promises, with the adapter it runs on. */
export interface WebGpuCapabilities extends BackendCapabilities {
  /** The adapter of the backend's device (a fallback adapter is a CPU emulation). */
  readonly adapter: WebGpuAdapterDescription;
}

/** The capabilities of a backend on `adapter`: notes name the adapter (`mlml backends` prints them). */
export function webGpuCapabilities(adapter: WebGpuAdapterDescription): WebGpuCapabilities {
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const detail = adapter.description === '' ? '' : ` (${adapter.description})`;
  const note = adapter.isFallbackAdapter
    ? `adapter: ${name}${detail}, a fallback adapter: CPU emulation, not a GPU (its speed is a CPU's)`
    : `adapter: ${name}${detail}`;
  return { ...WEBGPU_CAPABILITIES, adapter, notes: [note] };
}

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions extends WebGpuDeviceOptions {}

/** An input the webgpu backend takes: a float32 typed-array tensor or a float32 GpuTensor. */
export type WebGpuInput = Tensor<FloatArray> | GpuTensor<GPUBuffer>;

/** A target the webgpu backend takes: an Int32Array tensor or an int32 GpuTensor. */
export type WebGpuTarget = Tensor<Int32Array> | GpuTensor<GPUBuffer>;

/**
 * Options that return results as GpuTensors: new buffers the caller owns, or the caller's own
 * `out` GpuTensors (float32, the result's shape; the loss's buffer with STORAGE usage, the
 * gradient's with COPY_DST), written into and returned.
 */
export type GpuBufferOptions = Omit<LossOptions, 'out'> & {
  readonly outputLocation: 'gpu-buffer';
  readonly out?: { readonly output?: GpuTensor<GPUBuffer>; readonly gradInput?: GpuTensor<GPUBuffer> };
};

/** The 'webgpu' backend: an {@link ILossBackend} with a view of its GPU resources. */
export class WebGpuBackend extends LossBackend {
  readonly #kernel: WebGpuKernel;

  /** This instance's capabilities, with its adapter. */
  declare readonly capabilities: WebGpuCapabilities;

  /** Wraps a kernel; use {@link createWebGpuBackend}. */
  constructor(kernel: WebGpuKernel, adapter: WebGpuAdapterDescription) {
    super(WEBGPU_BACKEND_NAME, webGpuCapabilities(adapter), kernel);
    this.#kernel = kernel;
  }

  /**
   * The loss. `input` and `target` may be GpuTensors on this backend's device (float32 input,
   * int32 target); with `outputLocation: 'gpu-buffer'` the loss comes back as a GpuTensor whose
   * buffer the caller owns (and destroys).
   */
  override forward(
    input: WebGpuInput,
    target: WebGpuTarget,
    options: GpuBufferOptions,
  ): Promise<GpuTensor<GPUBuffer>>;
  override forward(
    input: WebGpuInput,
    target: WebGpuTarget,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>>;
  override forward(
    input: WebGpuInput,
    target: WebGpuTarget,
    options?: LossOptions | GpuBufferOptions,
  ): Promise<Tensor<FloatArray> | GpuTensor<GPUBuffer>> {
    return super.forward(input as Tensor<FloatArray>, target as Tensor<Int32Array>, options as LossOptions);
  }

  /** The gradient; GpuTensor inputs and `outputLocation: 'gpu-buffer'` as in {@link forward}. */
  override backward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput: Tensor<FloatArray>,
    options: GpuBufferOptions,
  ): Promise<GpuTensor<GPUBuffer>>;
  override backward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<Tensor<FloatArray>>;
  override backward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput: Tensor<FloatArray>,
    options?: LossOptions | GpuBufferOptions,
  ): Promise<Tensor<FloatArray> | GpuTensor<GPUBuffer>> {
    return super.backward(
      input as Tensor<FloatArray>,
      target as Tensor<Int32Array>,
      gradOutput,
      options as LossOptions,
    );
  }

  /** Loss and gradient; GpuTensor inputs and `outputLocation: 'gpu-buffer'` as in {@link forward}. */
  override forwardBackward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput: Tensor<FloatArray> | undefined,
    options: GpuBufferOptions,
  ): Promise<{ output: GpuTensor<GPUBuffer>; gradInput: GpuTensor<GPUBuffer> }>;
  override forwardBackward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions,
  ): Promise<ForwardBackwardResult>;
  override forwardBackward(
    input: WebGpuInput,
    target: WebGpuTarget,
    gradOutput?: Tensor<FloatArray>,
    options?: LossOptions | GpuBufferOptions,
  ): Promise<ForwardBackwardResult | { output: GpuTensor<GPUBuffer>; gradInput: GpuTensor<GPUBuffer> }> {
    return super.forwardBackward(
      input as Tensor<FloatArray>,
      target as Tensor<Int32Array>,
      gradOutput,
      options as LossOptions,
    );
  }

  /** The device the backend runs on (the user's own when one was given). */
  get device(): GPUDevice {
    return this.#kernel.device;
  }

  /** Buffers alive and pooled, and compiled pipelines: flat over repeated calls. */
  resourceStats(): WebGpuResourceStats {
    return this.#kernel.resourceStats();
  }
}

/**
 * Creates the 'webgpu' backend on a new device (from `navigator.gpu` in browsers, the `webgpu`
 * package in Node) or on `options.device`. Rejects with a `BACKEND_UNAVAILABLE` `LossError`
 * saying why when there is no WebGPU, no adapter, or no device. Every call starts afresh.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const acquired = await acquireDevice(options);
  try {
    return new WebGpuBackend(await WebGpuKernel.create(acquired), acquired.adapter);
  } catch (error) {
    if (acquired.ownsDevice) acquired.device.destroy();
    throw error;
  }
}
