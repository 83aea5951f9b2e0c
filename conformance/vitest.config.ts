import { sharedVitestConfig, webgpuTestEnv } from '../vitest.shared.ts';

export default sharedVitestConfig({ env: webgpuTestEnv(), pool: 'forks' });
