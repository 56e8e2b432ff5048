/** Global average pooling: NCHW [N, C, H, W] → [N, C], the mean over H·W. Cost: 1 flop, 4 bytes per input element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function globalAvgPool(x: Tensor): Tensor {
  const backend = backendOf('globalAvgPool', x);
  checkRank('globalAvgPool', 'x', x, 4);
  return backend.ops.globalAvgPool(x);
}

export function globalAvgPoolRef(x: Float32Array, shape: readonly number[]): Float32Array {
  const [n, c, h, w] = shape;
  const y = new Float32Array(n * c);
  for (let r = 0; r < n * c; r++) {
    let s = 0;
    for (let i = 0; i < h * w; i++) s += x[r * h * w + i];
    y[r] = s / (h * w);
  }
  return y;
}
