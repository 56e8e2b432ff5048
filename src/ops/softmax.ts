/** Softmax over the last dim, optionally causal (row i keeps columns ≤ i). Cost: ~5 flops, 8 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { backendOf } from './backend-check.js';

export function softmax(x: Tensor, opts: { causal?: boolean } = {}): Tensor {
  const backend = backendOf('softmax', x);
  const shape = checkRank('softmax', 'x', x, [1, 2, 3, 4]);
  const d = shape[shape.length - 1];
  if (opts.causal && (shape.length < 2 || shape[shape.length - 2] !== d)) throw new ShapeError(`softmax: causal masking needs square [.., n, n] rows, got ${JSON.stringify(shape)}`);
  return backend.ops.softmax(x, { causal: !!opts.causal });
}

export function softmaxRef(x: Float32Array, d: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = -Infinity;
    for (let i = 0; i < d; i++) m = Math.max(m, x[r * d + i]);
    let s = 0;
    for (let i = 0; i < d; i++) s += Math.exp(x[r * d + i] - m);
    for (let i = 0; i < d; i++) y[r * d + i] = Math.exp(x[r * d + i] - m) / s;
  }
  return y;
}
