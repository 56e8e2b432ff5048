/**
 * Whether Dawn can find a Vulkan driver on Linux, without loading Dawn: the loader's manifest
 * (ICD) files. Dawn on a machine without one spends seconds, prints its native
 * `vkCreateInstance failed` lines (with its build paths) to stderr — where JavaScript cannot filter
 * them — and finds no adapter. Other platforms use Metal or Direct3D 12, so the answer there is yes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Why Dawn would find no adapter here, or null when a driver may be there. */
export function missingVulkanDriver(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string | null {
  if (platform !== 'linux') return null;
  // The loader takes an explicit list when one is set (VK_DRIVER_FILES is the newer name).
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (explicit) {
    const files = explicit.split(':').filter(Boolean);
    return files.some((f) => existsSync(f)) ? null : `no Vulkan driver: none of the files in ${env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'} exists`;
  }
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dirs = [
    join(env.XDG_DATA_HOME || join(homedir(), '.local/share'), 'vulkan/icd.d'),
    ...configDirs.map((d) => join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    ...dataDirs.map((d) => join(d, 'vulkan/icd.d')),
  ];
  for (const d of dirs) {
    try {
      if (readdirSync(d).some((f) => f.endsWith('.json'))) return null;
    } catch {
      // not there
    }
  }
  return 'no Vulkan driver installed (no ICD manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)';
}
