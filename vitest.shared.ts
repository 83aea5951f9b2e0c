import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** The export condition under which every workspace package points at its TypeScript source. */
export const SOURCE_CONDITION = '@mlml/source';

/**
 * The vitest configuration every workspace package starts from: tests import workspace packages
 * through their source (no build needed) and write a JSON report that `pnpm test` sums up.
 */
export function sharedVitestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: {
      include: ['test/**/*.test.ts'],
      reporters: ['default', ['json', { outputFile: '.test-report.json' }]],
      testTimeout: 60_000,
      ...overrides,
    },
  });
}
