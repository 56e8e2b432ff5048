/** Rows divided by their L2 norm (at least eps), as torch.nn.functional.normalize. Cost: 3 flops, 8 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  const backend = backendOf('l2Normalize', x);
  checkRank('l2Normalize', 'x', x, [1, 2, 3]);
  return backend.ops.l2Normalize(x, eps);
}

export function l2NormalizeRef(x: Float32Array, d: number, eps = 1e-12): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i] ** 2;
    const n = Math.max(Math.sqrt(s), eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i] / n;
  }
  return y;
}
