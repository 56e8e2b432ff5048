/**
 * Runs `build` in a fresh submission and returns its result with the kernels it recorded (the
 * labels of its dispatches): how a test checks which path a forced policy or adapter took.
 */
import type { Gpu } from '../../src/backends/webgpu/gpu.js';
import type { Tensor } from '../../src/runtime/tensor.js';

export async function recordedKernels(gpu: Gpu, build: () => Tensor): Promise<{ out: Float32Array; kernels: string[] }> {
  gpu.submit();
  const t = build();
  const kernels = [...gpu.pendingKernels];
  const out = await t.readFloat();
  t.dispose();
  return { out, kernels };
}
