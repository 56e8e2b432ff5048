/**
 * Which backend a model runs on: `device: 'auto' | 'webgpu' | 'cpu'` (createModelAndTransforms,
 * createModelInWorker, `--device`). The one place the rule is written:
 *
 *  - 'cpu': the CPU backend. 'webgpu': a WebGPU adapter, or the error that says how to get one.
 *  - 'auto' (the default): a hardware adapter → WebGPU. No adapter (no WebGPU in the browser, no
 *    Vulkan driver on Linux — probed without loading Dawn — or Dawn finds none) → the CPU, with
 *    one line saying so. A software adapter → `SOFTWARE_ADAPTER_RULE` below.
 */
import { CpuBackend } from '../backends/cpu/cpu-backend.js';
import type { Gpu } from '../backends/webgpu/gpu.js';
import { GpuError } from '../runtime/errors.js';
import type { Backend } from '../runtime/backend.js';
import { OptionError } from './options.js';

export type Device = 'auto' | 'webgpu' | 'cpu';

/**
 * A software adapter under 'auto': Mesa's lavapipe in Node on a machine of at most 2 logical
 * cores, with f32 storage → the CPU backend; otherwise WebGPU. Measured (`npm run bench:backends`,
 * one interleaved run, WebGPU replaying its plans over lavapipe on both cores of a 2-core machine),
 * WebGPU time / CPU time — first run, CPU on one thread with plain SIMD: S0 image b1 1.02, b8
 * 1.14; S0 text b1 1.46, b8 1.40; S2 image b1 1.20; B image b1 1.41; MobileCLIP2-S4 image b1 1.47;
 * session 17, CPU on two threads with relaxed SIMD (the CLI's): 1.79, 2.39; 2.72, 3.14; 2.36;
 * 3.24; 2.71; session 18 (tensors and packed weights in the kernels' shared memory): 3.32, 3.63;
 * 3.17, 3.54; 3.67; 3.30; 4.07 — the CPU faster in every cell. Not measured, so left on WebGPU: more cores,
 * SwiftShader in browsers, and f16 storage (the CPU stores f32 only).
 */
export const SOFTWARE_ADAPTER_RULE = { adapter: /llvmpipe|lavapipe/i, maxCores: 2, dtype: 'f32' } as const;

/** Whether 'auto' leaves this software adapter for the CPU backend (SOFTWARE_ADAPTER_RULE). */
export function cpuBeatsSoftwareAdapter(adapter: string, cores: number, dtype: string): boolean {
  const r = SOFTWARE_ADAPTER_RULE;
  return r.adapter.test(adapter) && cores <= r.maxCores && dtype === r.dtype;
}
export const DEVICES: readonly Device[] = ['auto', 'webgpu', 'cpu'];

export interface BackendHooks {
  createGpu: () => Promise<Gpu>;
  /** Why WebGPU cannot work here, found without trying it (Node: no Vulkan driver); null when it may. */
  webgpuUnavailable?: () => string | null;
  /** What would give this platform WebGPU, for the notice that says the CPU runs instead (Node: the Vulkan driver to install). */
  webgpuRemedy?: string;
  /** Logical cores, where the platform's software adapters are measured (Node); absent: never leave a software adapter. */
  cores?: () => number;
  /** Starts the CPU kernels' worker threads where the platform can (Node; a cross-origin isolated browser's Worker); resolves to the thread count. */
  cpuThreads?: () => Promise<number>;
}

export function checkDevice(device: unknown, what = 'device'): Device {
  if (device === undefined) return 'auto';
  if (typeof device !== 'string' || !(DEVICES as readonly string[]).includes(device)) {
    throw new OptionError(`${what} must be one of ${DEVICES.map((d) => `'${d}'`).join(', ')}, not ${JSON.stringify(device)}`);
  }
  return device as Device;
}

/** The backend for `device`; `notice` gets the one line that says 'auto' chose the CPU, and why. */
export async function chooseBackend(device: Device, hooks: BackendHooks, notice: (line: string) => void = () => {}, dtype = 'f32'): Promise<Backend> {
  const cpu = async () => {
    await hooks.cpuThreads?.();
    return new CpuBackend();
  };
  if (device === 'cpu') return cpu();
  if (device === 'webgpu') return hooks.createGpu();
  const unavailable = hooks.webgpuUnavailable?.() ?? null;
  if (unavailable) {
    notice(`${unavailable}: running on the CPU backend (pass --device cpu to skip the check${hooks.webgpuRemedy ? `, or ${hooks.webgpuRemedy}` : ''})`);
    return cpu();
  }
  let gpu: Gpu;
  try {
    gpu = await hooks.createGpu();
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    notice(`no WebGPU adapter (${firstSentence(e.message)}): running on the CPU backend`);
    return cpu();
  }
  const cores = hooks.cores?.();
  if (gpu.info.isSoftware && cores !== undefined && cpuBeatsSoftwareAdapter(gpu.info.description, cores, dtype)) {
    const name = SOFTWARE_ADAPTER_RULE.adapter.test(gpu.info.description) ? 'Mesa lavapipe' : gpu.info.description;
    gpu.destroy();
    notice(`the WebGPU adapter is a software one (${name}): running on the CPU backend, faster here (--device webgpu to use the adapter)`);
    return cpu();
  }
  return gpu;
}

function firstSentence(s: string): string {
  const i = s.indexOf('. ');
  return (i > 0 ? s.slice(0, i) : s).replace(/\.$/, '');
}
