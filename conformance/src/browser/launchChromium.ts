import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Where Debian's chromium is (scripts/setup.sh installs it); `MLML_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium's flags for WebGPU without a GPU: the adapter is SwiftShader (a Vulkan on the CPU)
 * on a localhost page, and nothing is fetched from the network in the background.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
];

/**
 * Launches headless Chromium (never downloads one) through playwright-core.
 * @throws {Error} saying how to install it when the executable or playwright-core is missing.
 */
export async function launchChromium(
  executablePath: string = process.env.MLML_CHROMIUM ?? DEFAULT_CHROMIUM,
): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `${executablePath} is missing: run scripts/setup.sh (apt-get install chromium) or set MLML_CHROMIUM`,
    );
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}
