export type {
  EffectiveLimits,
  WebGpuDeviceOptions,
  WebGpuLimitOverrides,
} from './acquireDevice.js';
export type { BufferPoolStats } from './BufferPool.js';
export {
  createWebGpuBackend,
  WEBGPU_BACKEND_NAME,
  WEBGPU_CAPABILITIES,
  WebGpuBackend,
  type WebGpuBackendOptions,
} from './createWebGpuBackend.js';
export type { WebGpuResourceStats } from './WebGpuKernel.js';
