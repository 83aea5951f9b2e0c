export type {
  EffectiveLimits,
  WebGpuAdapterDescription,
  WebGpuDeviceOptions,
  WebGpuLimitOverrides,
} from './acquireDevice.js';
export type { BufferPoolStats } from './BufferPool.js';
export {
  createWebGpuBackend,
  type GpuBufferOptions,
  WEBGPU_BACKEND_NAME,
  WEBGPU_CAPABILITIES,
  WebGpuBackend,
  type WebGpuBackendOptions,
  type WebGpuCapabilities,
  type WebGpuInput,
  type WebGpuTarget,
  webGpuCapabilities,
} from './createWebGpuBackend.js';
export type { WebGpuResourceStats } from './WebGpuKernel.js';
