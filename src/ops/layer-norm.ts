/** LayerNorm over the last dim: y = (x − μ)/√(σ² + eps)·w + b. Cost: ~8 flops and 12 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const backend = backendOf('layerNorm', x, weight, bias);
  const shape = checkRank('layerNorm', 'x', x, [1, 2, 3, 4]);
  const d = shape[shape.length - 1];
  checkShape('layerNorm', 'weight', weight, [d]);
  checkShape('layerNorm', 'bias', bias, [d]);
  return backend.ops.layerNorm(x, weight, bias, eps);
}

export function layerNormRef(x: Float32Array, d: number, w: Float32Array, b: Float32Array, eps = 1e-5): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
  }
  return y;
}
