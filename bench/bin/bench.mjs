#!/usr/bin/env node
// `pnpm bench`: runs the built bench (dist/) with the command line's arguments.
import { existsSync } from 'node:fs';

// Dawn (the webgpu package) finds SwiftShader's Vulkan driver only through this variable, which
// must be set before WebGPU is loaded.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
// Every backend, device and subprocess is disposed by now; should a native handle still hold the
// event loop, do not hang: leave after a grace period.
setTimeout(() => process.exit(), 3000).unref();
