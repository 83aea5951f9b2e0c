import { LossError } from '@mlml/core-spec';
import { loadGpu } from '#gpu-provider';

/** Limits a test may lower to exercise the splitting of work (never raised above the device's). */
export interface WebGpuLimitOverrides {
  /** Largest storage buffer binding, in bytes. */
  readonly maxStorageBufferBindingSize?: number;
  /** Largest buffer, in bytes. */
  readonly maxBufferSize?: number;
  /** Largest workgroup count per dispatch dimension. */
  readonly maxComputeWorkgroupsPerDimension?: number;
}

/** Where the backend gets its GPU from. */
export interface WebGpuDeviceOptions {
  /**
   * A device of the user's, shared with the rest of their app. The backend never destroys it;
   * `dispose()` only frees the backend's buffers.
   */
  readonly device?: GPUDevice;
  /** A `navigator.gpu`-like entry point to use instead of the platform's. */
  readonly gpu?: GPU;
  /** Passed to `requestAdapter`. */
  readonly powerPreference?: GPUPowerPreference;
  /** Artificially smaller limits (tests). */
  readonly limits?: WebGpuLimitOverrides;
}

/** The limits the backend plans its work with. */
export interface EffectiveLimits {
  /** Largest storage buffer binding, in bytes. */
  readonly maxStorageBufferBindingSize: number;
  /** Largest buffer, in bytes. */
  readonly maxBufferSize: number;
  /** Largest workgroup count per dispatch dimension. */
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** The adapter a device came from, as WebGPU describes it (empty strings where it says nothing). */
export interface WebGpuAdapterDescription {
  /** e.g. `'nvidia'`, `'google'`. */
  readonly vendor: string;
  /** e.g. `'ampere'`, `'swiftshader'`. */
  readonly architecture: string;
  /** The driver's own description, e.g. `'SwiftShader driver 5.0.0'`. */
  readonly description: string;
  /**
   * True for a fallback adapter: a software implementation on the CPU (such as SwiftShader),
   * correct but at a CPU's speed, not a GPU's.
   */
  readonly isFallbackAdapter: boolean;
}

/** A device, whether the backend owns it, and the limits it works within. */
export interface AcquiredDevice {
  /** The adapter the device belongs to. */
  readonly adapter: WebGpuAdapterDescription;
  /** The device to run on. */
  readonly device: GPUDevice;
  /** True when the backend created the device and must destroy it. */
  readonly ownsDevice: boolean;
  /** The device's limits, lowered by any overrides. */
  readonly limits: EffectiveLimits;
}

const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * Gets a device: the user's, or a new one from `options.gpu`, `navigator.gpu` (browsers) or Dawn
 * (Node), asking for the adapter's largest buffer limits. Any failure is a `BACKEND_UNAVAILABLE`
 * `LossError` that says why.
 */
export async function acquireDevice(options: WebGpuDeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device !== undefined) {
    return {
      adapter: describeAdapter((options.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo, undefined),
      device: options.device,
      ownsDevice: false,
      limits: effectiveLimits(options.device, options.limits),
    };
  }
  let gpu: GPU;
  try {
    gpu = options.gpu ?? (await loadGpu());
  } catch (error) {
    throw unavailable(`no WebGPU implementation: ${reason(error)}`, error);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter =
      options.powerPreference === undefined
        ? await gpu.requestAdapter()
        : await gpu.requestAdapter({ powerPreference: options.powerPreference });
    // A hardware adapter first: a fallback (CPU) adapter only when no other answers.
    if (adapter !== null && isFallback(adapter) && options.powerPreference === undefined) {
      for (const powerPreference of ['high-performance', 'low-power'] as const) {
        const other = await gpu.requestAdapter({ powerPreference });
        if (other !== null && !isFallback(other)) {
          adapter = other;
          break;
        }
      }
    }
  } catch (error) {
    throw unavailable(`requestAdapter failed: ${reason(error)}`, error);
  }
  if (adapter === null) {
    throw unavailable(
      'no WebGPU adapter found (requestAdapter returned null: no GPU, or no Vulkan/Metal/D3D12 driver reachable, e.g. libvulkan.so.1 not on the library path)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (error) {
    throw unavailable(`the adapter refused a device: ${reason(error)}`, error);
  }
  return {
    adapter: describeAdapter(adapter.info, adapter),
    device,
    ownsDevice: true,
    limits: effectiveLimits(device, options.limits),
  };
}

function isFallback(adapter: GPUAdapter): boolean {
  return describeAdapter(adapter.info, adapter).isFallbackAdapter;
}

/** What WebGPU says of an adapter (`info.isFallbackAdapter`, or the older `adapter.isFallbackAdapter`). */
function describeAdapter(
  info: GPUAdapterInfo | undefined,
  adapter: GPUAdapter | undefined,
): WebGpuAdapterDescription {
  const fields = (info ?? {}) as Partial<Record<'vendor' | 'architecture' | 'description', unknown>> & {
    isFallbackAdapter?: unknown;
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const legacy = (adapter as { isFallbackAdapter?: unknown } | undefined)?.isFallbackAdapter;
  return {
    vendor: text(fields.vendor),
    architecture: text(fields.architecture),
    description: text(fields.description),
    isFallbackAdapter: fields.isFallbackAdapter === true || legacy === true,
  };
}

function effectiveLimits(device: GPUDevice, overrides: WebGpuLimitOverrides | undefined): EffectiveLimits {
  const pick = (name: (typeof RAISED_LIMITS)[number]): number =>
    Math.min(device.limits[name], overrides?.[name] ?? Number.POSITIVE_INFINITY);
  return {
    maxStorageBufferBindingSize: pick('maxStorageBufferBindingSize'),
    maxBufferSize: pick('maxBufferSize'),
    maxComputeWorkgroupsPerDimension: pick('maxComputeWorkgroupsPerDimension'),
  };
}

function unavailable(message: string, cause?: unknown): LossError {
  return new LossError(
    'BACKEND_UNAVAILABLE',
    `webgpu: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
