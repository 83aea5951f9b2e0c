import { existsSync } from 'node:fs';
import { sharedVitestConfig } from '../../vitest.shared.ts';

// Dawn finds Vulkan through the loader (libvulkan.so.1) and the loader finds SwiftShader through
// VK_ICD_FILENAMES. Chromium ships both; the loader path must be in the environment before the
// test processes start (the dynamic linker reads it once), so it is set here, in the parent.
const CHROMIUM_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
const env: Record<string, string> = {};
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
if (existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`)) {
  const current = process.env.LD_LIBRARY_PATH;
  const path = current?.split(':').includes(CHROMIUM_DIR)
    ? current
    : current
      ? `${current}:${CHROMIUM_DIR}`
      : CHROMIUM_DIR;
  process.env.LD_LIBRARY_PATH = path;
  env.LD_LIBRARY_PATH = path;
}

export default sharedVitestConfig({ env, pool: 'forks', fileParallelism: false });
