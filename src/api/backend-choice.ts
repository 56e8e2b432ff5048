/**
 * Which backend a model runs on: `device: 'auto' | 'webgpu' | 'cpu'` (createModelAndTransforms,
 * createModelInWorker, `--device`). The one place the rule is written:
 *
 *  - 'cpu': the CPU backend. 'webgpu': a WebGPU adapter, or the error that says how to get one.
 *  - 'auto' (the default): a hardware adapter → WebGPU. No adapter (no WebGPU in the browser, no
 *    Vulkan driver on Linux — probed without loading Dawn — or Dawn finds none) → the CPU, with
 *    one line saying so. A software adapter (lavapipe, SwiftShader) → WebGPU as well, while the
 *    CPU backend is slower than it for every model on this project's 2-core machine class
 *    (`npm run bench:backends` measures both in one interleaved run); when the CPU backend
 *    overtakes it, this rule changes here and only here.
 */
import { CpuBackend } from '../backends/cpu/cpu-backend.js';
import type { Gpu } from '../backends/webgpu/gpu.js';
import { GpuError } from '../runtime/errors.js';
import type { Backend } from '../runtime/backend.js';
import { OptionError } from './options.js';

export type Device = 'auto' | 'webgpu' | 'cpu';
export const DEVICES: readonly Device[] = ['auto', 'webgpu', 'cpu'];

export interface BackendHooks {
  createGpu: () => Promise<Gpu>;
  /** Why WebGPU cannot work here, found without trying it (Node: no Vulkan driver); null when it may. */
  webgpuUnavailable?: () => string | null;
}

export function checkDevice(device: unknown, what = 'device'): Device {
  if (device === undefined) return 'auto';
  if (typeof device !== 'string' || !(DEVICES as readonly string[]).includes(device)) {
    throw new OptionError(`${what} must be one of ${DEVICES.map((d) => `'${d}'`).join(', ')}, not ${JSON.stringify(device)}`);
  }
  return device as Device;
}

/** The backend for `device`; `notice` gets the one line that says 'auto' fell back to the CPU. */
export async function chooseBackend(device: Device, hooks: BackendHooks, notice: (line: string) => void = () => {}): Promise<Backend> {
  if (device === 'cpu') return new CpuBackend();
  if (device === 'webgpu') return hooks.createGpu();
  const unavailable = hooks.webgpuUnavailable?.() ?? null;
  if (unavailable) {
    notice(`${unavailable}: running on the CPU backend (pass --device cpu to skip the check, or install a Vulkan driver for WebGPU)`);
    return new CpuBackend();
  }
  try {
    return await hooks.createGpu();
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    notice(`no WebGPU adapter (${firstSentence(e.message)}): running on the CPU backend`);
    return new CpuBackend();
  }
}

function firstSentence(s: string): string {
  const i = s.indexOf('. ');
  return (i > 0 ? s.slice(0, i) : s).replace(/\.$/, '');
}
