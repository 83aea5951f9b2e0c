import { sharedVitestConfig, webgpuTestEnv } from '../../../vitest.shared.ts';

/** `npx vitest run --config scripts/vitest.speed.config.ts`: the interleaved speed check (not a test). */
export default sharedVitestConfig({
  env: webgpuTestEnv(),
  include: ['scripts/**/*.speed.ts'],
  reporters: ['default'],
  testTimeout: 600_000,
});
