import { existsSync } from 'node:fs';
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

/** SwiftShader, the Vulkan driver on the CPU that Debian's chromium ships (scripts/setup.sh installs it). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * The environment for tests that run WebGPU in Node (Dawn): Vulkan's loader (libvulkan1) finds
 * SwiftShader through VK_ICD_FILENAMES, unless the developer chose a driver. Set in this process
 * too, so forked test workers inherit it.
 */
export function webgpuTestEnv(): Record<string, string> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  return process.env.VK_ICD_FILENAMES === undefined ? {} : { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES };
}
