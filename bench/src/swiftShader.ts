import { existsSync } from 'node:fs';

/** Debian's chromium package ships SwiftShader, a Vulkan driver on the CPU that Dawn can use. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Points the Vulkan loader at SwiftShader when no driver was chosen and it is installed, so the
 * webgpu backend finds an adapter in Node on machines without a GPU driver. Must run before
 * WebGPU is first initialised (bin/bench.mjs calls it before loading anything).
 */
export function useSwiftShaderIfNoDriverChosen(): void {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
}
