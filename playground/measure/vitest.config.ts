import { join } from 'node:path';
import { sharedVitestConfig, webgpuTestEnv } from '../../vitest.shared.ts';

// `pnpm --filter @mlml/playground measure`: not part of `pnpm test` (a measurement, not a test).
const config = sharedVitestConfig({
  root: join(import.meta.dirname, '..'),
  include: ['measure/**/*.measure.ts'],
  reporters: ['default'],
  env: webgpuTestEnv(),
  testTimeout: 600_000,
});
export default config;
