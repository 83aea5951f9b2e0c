import { existsSync } from 'node:fs';
import { sharedVitestConfig } from '../vitest.shared.ts';

/** Debian's chromium ships SwiftShader, a Vulkan driver on the CPU that Dawn (the webgpu package) can use. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env: Record<string, string> = {};
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD))
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

export default sharedVitestConfig({ env });
