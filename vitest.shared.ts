import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { useSwiftShaderIfNoDriverChosen } from './packages/loss/src/cli/vulkanDriver.ts';

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

/**
 * The environment for tests that run WebGPU in Node (Dawn): the same driver rule as `mlml` and the
 * bench (SwiftShader only when no Vulkan driver was chosen or is installed; a hardware driver is
 * never overridden). Set in this process too, so forked test workers inherit it.
 */
export function webgpuTestEnv(): Record<string, string> {
  useSwiftShaderIfNoDriverChosen();
  return process.env.VK_ICD_FILENAMES === undefined ? {} : { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES };
}
