import { existsSync } from 'node:fs';
import { sharedVitestConfig } from '../vitest.shared.ts';

// The webgpu backend runs in Node on Dawn, which finds Vulkan through the loader (libvulkan.so.1);
// the loader finds SwiftShader (a Vulkan driver on the CPU) through VK_ICD_FILENAMES. Debian's
// chromium ships both. The dynamic linker reads LD_LIBRARY_PATH once per process, so both are set
// here, in the parent, and the tests run in forked processes that inherit them.
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

export default sharedVitestConfig({ env, pool: 'forks' });
