import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Debian's chromium package ships SwiftShader, a Vulkan driver on the CPU that Dawn can use. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Environment variables through which a user or the system chooses Vulkan drivers. */
const DRIVER_VARIABLES = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'] as const;

/**
 * The Vulkan drivers (ICD manifests) the Vulkan loader finds on its own: `vulkan/icd.d` under the
 * XDG config directories (~/.config, /etc/xdg), /etc, ~/.local/share and the XDG data directories
 * (default /usr/local/share and /usr/share).
 */
export function installedVulkanDrivers(): string[] {
  const dataDirs = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const configDirs = (process.env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':').filter(Boolean);
  const home = homedir();
  const dirs = [
    process.env.XDG_CONFIG_HOME ?? join(home, '.config'),
    ...configDirs,
    '/etc',
    join(home, '.local/share'),
    ...dataDirs,
  ].map((dir) => join(dir, 'vulkan', 'icd.d'));
  const found: string[] = [];
  for (const dir of dirs) {
    try {
      for (const name of readdirSync(dir)) if (name.endsWith('.json')) found.push(join(dir, name));
    } catch {
      // No such directory: nothing installed there.
    }
  }
  return found;
}

/**
 * Points the Vulkan loader at SwiftShader (a CPU emulation) only as a last resort: when no driver
 * was chosen through the environment (VK_ICD_FILENAMES, VK_DRIVER_FILES, VK_ADD_DRIVER_FILES),
 * no Vulkan driver is installed where the loader looks by itself, and Debian's chromium ships
 * SwiftShader. A hardware driver (or any driver the user or system chose) is never overridden.
 * Must run before WebGPU is first initialised. Returns whether it chose SwiftShader.
 */
export function useSwiftShaderIfNoDriverChosen(): boolean {
  if (DRIVER_VARIABLES.some((name) => process.env[name] !== undefined)) return false;
  if (!existsSync(SWIFTSHADER_ICD) || installedVulkanDrivers().length > 0) return false;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return true;
}
