import { sharedVitestConfig, webgpuTestEnv } from '../../vitest.shared.ts';

// Creating a backend compiles its pipelines: seconds on SwiftShader when the machine is busy.
export default sharedVitestConfig({
  env: webgpuTestEnv(),
  pool: 'forks',
  fileParallelism: false,
  hookTimeout: 60_000,
});
