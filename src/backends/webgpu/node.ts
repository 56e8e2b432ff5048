import { createGpuFrom, type CreateGpuOptions } from './device.js';
import { GpuError, NO_ADAPTER_HELP } from '../../runtime/errors.js';
import type { Gpu } from './gpu.js';

let provider: GPU | undefined;

/**
 * A Gpu in Node through Dawn (the `webgpu` package). Dawn's GPU object is created once per
 * process; destroy each Gpu when done so the process can exit.
 */
export async function createGpu(options: CreateGpuOptions = {}): Promise<Gpu> {
  if (!provider) {
    let mod: typeof import('webgpu');
    try {
      mod = await import('webgpu');
    } catch (e) {
      // `webgpu` (132 MB of Dawn binaries) is an optional dependency, so browser-only users can omit it.
      const missing = (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test((e as Error).message);
      throw new GpuError(
        missing
          ? 'the optional dependency `webgpu` (Dawn, WebGPU for Node) is not installed: run `npm install webgpu` (it was skipped by --omit=optional or --no-optional)'
          : `could not load the \`webgpu\` package (Dawn for Node): ${(e as Error).message}. ${NO_ADAPTER_HELP}`,
      );
    }
    Object.assign(globalThis, mod.globals);
    provider = mod.create([]);
  }
  return createGpuFrom(provider, { dumpWgsl: process.env.MOBILECLIP_DUMP_WGSL === '1', ...options });
}
