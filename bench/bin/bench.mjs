#!/usr/bin/env node
// `pnpm bench`: runs the built bench (dist/) with the command line's arguments.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// WebGPU in Node (Dawn) needs a Vulkan loader and driver. Debian's chromium ships both: the loader
// libvulkan.so.1 and SwiftShader (a Vulkan driver on the CPU). The loader is found through
// LD_LIBRARY_PATH, which the dynamic linker reads once at process start, so when it has to be added
// the bench runs itself again in a child with that environment.
const CHROMIUM_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
const SYSTEM_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
const libraryPath = process.env.LD_LIBRARY_PATH ?? '';
const needsLoader =
  process.platform === 'linux' &&
  existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`) &&
  !SYSTEM_LOADERS.some((file) => existsSync(file)) &&
  !libraryPath.split(':').includes(CHROMIUM_DIR);
if (needsLoader) {
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: libraryPath ? `${libraryPath}:${CHROMIUM_DIR}` : CHROMIUM_DIR,
  };
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env },
  );
  process.exit(child.status ?? 1);
}

const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
// Every backend, device and subprocess is disposed by now; should a native handle still hold the
// event loop, do not hang: leave after a grace period.
setTimeout(() => process.exit(), 3000).unref();
