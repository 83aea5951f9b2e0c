import { sharedVitestConfig } from '../../../vitest.shared.ts';

/** Runs the measurement scripts (scripts/*.measure.ts) with the tests' source resolution. */
export default sharedVitestConfig({
  include: ['scripts/**/*.measure.ts'],
  reporters: ['default'],
  testTimeout: 600_000,
});
