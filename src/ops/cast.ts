/** f32 ↔ f16 storage conversion (round to nearest even; past 65504 becomes ±inf, as in PyTorch). Cost: 6 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { GpuError } from '../runtime/errors.js';
import { checkShape } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function cast(x: Tensor, to: 'f16' | 'f32'): Tensor {
  const backend = backendOf('cast', x);
  checkShape('cast', 'x', x, x.shape.map(() => null), ['f32', 'f16']);
  if (x.dtype === to) throw new GpuError(`cast: ${x.label} is already ${to}`);
  if (!backend.f16Storage || !backend.ops.cast) throw new GpuError(`cast: f16 storage needs a backend that has it; ${backend.description} does not`);
  return backend.ops.cast(x, to);
}
