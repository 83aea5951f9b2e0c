export type {
  EffectiveLimits,
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
  type WebGpuInput,
  type WebGpuTarget,
} from './createWebGpuBackend.js';
export type { WebGpuResourceStats } from './WebGpuKernel.js';
