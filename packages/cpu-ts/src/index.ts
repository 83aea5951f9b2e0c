export { CpuTsKernel } from './CpuTsKernel.js';
export { CPU_TS_BACKEND_NAME, CPU_TS_CAPABILITIES, createCpuTsBackend } from './createCpuTsBackend.js';
