/**
 * One dispatch, from a kernel's declared interface to a recordable command: the WGSL written from
 * its signature and body, the pipeline (compiled once per text), the uniform packed by name and
 * the bind group in the signature's binding order.
 */
import type { DType } from '../../runtime/dtype.js';
import { GpuError } from '../../runtime/errors.js';
import { type KernelSignature, kernelHeader, packParams } from './kernel.js';
import type { PipelineCache } from './pipeline-cache.js';
import type { PlanCommand } from './plan.js';
import { Tensor } from '../../runtime/tensor.js';
import type { UniformArena } from './uniform-arena.js';

export interface DispatchSpec {
  /** Names the kernel in pipeline labels and error messages. */
  label: string;
  /** Its parameters and bindings by name (see kernel.ts): the WGSL declarations are written from it. */
  signature: KernelSignature;
  /** The WGSL after those declarations, generated from compile-time constants only. */
  body: string;
  entryPoint?: string;
  /** Values of the signature's parameters, by name. */
  params?: Readonly<Record<string, number>>;
  /** A tensor for each of the signature's bindings, by name. */
  bindings: Readonly<Record<string, Tensor | TensorRange>>;
  workgroups: readonly [number, number?, number?];
  /** Multiply-adds × 2 this dispatch performs, for the FLOP count in `stats()` (compute kernels). */
  flops?: number;
}

/** A tensor bound over `bytes` bytes instead of its own size (whole vectors past an odd end). */
export interface TensorRange {
  tensor: Tensor;
  bytes: number;
}

/** A tensor's buffer over `bytes` bytes, rounded up to 4 as WebGPU requires. */
function binding(t: Tensor, bytes: number): GPUBufferBinding {
  t.assertAlive();
  return { buffer: t.storage as GPUBuffer, offset: 0, size: Math.max(4, Math.ceil(bytes / 4) * 4) };
}

/** The command for `spec`, or null for an empty grid. Labels of kernels storing f16 end in `.f16`. */
export function dispatchCommand(device: GPUDevice, pipelines: PipelineCache, params: UniformArena, spec: DispatchSpec): PlanCommand | null {
  const [x, y = 1, z = 1] = spec.workgroups;
  if (x === 0 || y === 0 || z === 0) return null;
  const maxWg = device.limits.maxComputeWorkgroupsPerDimension;
  if (x > maxWg || y > maxWg || z > maxWg) {
    throw new GpuError(`${spec.label}: dispatch of [${x}, ${y}, ${z}] workgroups exceeds the limit ${maxWg} per dimension`);
  }
  const dtypes: Record<string, DType> = {};
  for (const [name, b] of Object.entries(spec.bindings)) dtypes[name] = (b instanceof Tensor ? b : b.tensor).dtype;
  const label = Object.values(dtypes).includes('f16') ? `${spec.label}.f16` : spec.label;
  const code = `${kernelHeader(spec.label, spec.signature, dtypes)}\n${spec.body}`;
  const entries: GPUBindGroupEntry[] = [];
  if (spec.signature.params) entries.push({ binding: 0, resource: params.alloc(packParams(spec.label, spec.signature, spec.params ?? {})) });
  const buffers: GPUBuffer[] = [];
  // In the signature's order: kernelHeader numbers the bindings so.
  Object.keys(spec.signature.bindings).forEach((name, i) => {
    const b = spec.bindings[name];
    const resource = b instanceof Tensor ? binding(b, b.byteSize) : binding(b.tensor, b.bytes);
    buffers.push(resource.buffer);
    entries.push({ binding: i + 1, resource });
  });
  const pipeline = pipelines.get(label, code, spec.entryPoint);
  const bindGroup = device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
  return { kind: 'dispatch', label, pipeline, bindGroup, workgroups: [x, y, z], buffers };
}
