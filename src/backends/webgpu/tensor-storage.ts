/** The Gpu a WebGPU kernel's tensor lives on (Tensor itself is backend-neutral). */
import { GpuError } from '../../runtime/errors.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { Gpu } from './gpu.js';

/** The Gpu of a tensor the WebGPU kernels were given; a GpuError if it lives on another backend. */
export function gpuOf(t: Tensor): Gpu {
  if (t.backend.kind !== 'webgpu') throw new GpuError(`${t.label} lives on the ${t.backend.kind} backend, not WebGPU`);
  return t.backend as unknown as Gpu;
}
