import { probeSubgroupSize } from './subgroup-probe.js';
import { webgpuOps } from './kernels/index.js';
import { GpuError, NO_ADAPTER_HELP } from '../../runtime/errors.js';
import { Gpu, type GpuInfo } from './gpu.js';

export interface CreateGpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Ask for `shader-f16` and friends when the adapter has them (default true). */
  optionalFeatures?: boolean;
  /** Print the WGSL of every kernel as it is compiled. */
  dumpWgsl?: boolean;
}

const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

// The largest limits the models need; we ask for the adapter's maximum, and say so when it is below need.
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;

function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const s = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|software|cpu/.test(s);
}

/**
 * Opens a device on the given WebGPU implementation (`navigator.gpu` in browsers, Dawn's in Node):
 * requests the adapter's maximum buffer limits and the optional features it has, and reports which
 * it got in `gpu.info`.
 */
export async function createGpuFrom(provider: GPU | undefined, options: CreateGpuOptions = {}): Promise<Gpu> {
  if (!provider) throw new GpuError(NO_ADAPTER_HELP);
  const adapter = await provider.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new GpuError(NO_ADAPTER_HELP);

  const requiredFeatures: GPUFeatureName[] = [];
  if (options.optionalFeatures !== false) {
    for (const f of OPTIONAL_FEATURES) if (adapter.features.has(f)) requiredFeatures.push(f as GPUFeatureName);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'mobileclip-webgpu' });

  const ai = adapter.info;
  const description = [ai.vendor, ai.architecture, ai.device, ai.description].filter(Boolean).join(' ') || 'unknown adapter';
  const info: GpuInfo = {
    vendor: ai.vendor,
    architecture: ai.architecture,
    device: ai.device,
    description,
    isSoftware: isSoftwareAdapter(ai),
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
  };
  const sub = ai as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
  if (sub.subgroupMinSize) info.subgroupMinSize = sub.subgroupMinSize;
  if (sub.subgroupMaxSize) info.subgroupMaxSize = sub.subgroupMaxSize;
  const gpu = new Gpu(device, info, webgpuOps);
  gpu.pipelines.dump = options.dumpWgsl ?? false;
  const subgroupSize = await probeSubgroupSize(gpu);
  if (subgroupSize) gpu.info.subgroupSize = subgroupSize;
  return gpu;
}

/** One line that says which adapter and which optional features a Gpu got. */
export function describeGpu(gpu: Gpu): string {
  const f = gpu.info.features;
  const feats = Object.entries(f)
    .map(([k, v]) => `${k}=${v ? 'yes' : 'no'}`)
    .join(' ');
  const i = gpu.info;
  const sg = i.subgroupMinSize ? ` subgroup=${i.subgroupMinSize}..${i.subgroupMaxSize}${i.subgroupSize ? ' (fixed, probed)' : ''}` : '';
  return `${gpu.info.description}${gpu.info.isSoftware ? ' (software)' : ''}: ${feats}${sg}, maxStorageBufferBindingSize=${gpu.info.maxStorageBufferBindingSize}`;
}
