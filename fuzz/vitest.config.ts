import { sharedVitestConfig, webgpuTestEnv } from '../vitest.shared.ts';

// Forks: the wasm backend's worker threads and the WebGPU device live and die with the process.
export default sharedVitestConfig({ env: webgpuTestEnv(), pool: 'forks', testTimeout: 600_000 });
