import { sharedVitestConfig } from '../../vitest.shared.ts';

// Packing, installing from npm and building take minutes: one file at a time, generous timeouts.
export default sharedVitestConfig({ testTimeout: 600_000, hookTimeout: 900_000, fileParallelism: false });
