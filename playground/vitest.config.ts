import { sharedVitestConfig } from '../vitest.shared.ts';

// The end-to-end tests build the app and drive headless Chromium: one file at a time.
export default sharedVitestConfig({ testTimeout: 240_000, hookTimeout: 240_000, fileParallelism: false });
