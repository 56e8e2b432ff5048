/** [B, R, C] → [B, C, R] (or [R, C] → [C, R]). Cost: memory bound, 8 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function transposeLast2(x: Tensor): Tensor {
  const backend = backendOf('transposeLast2', x);
  checkRank('transposeLast2', 'x', x, [2, 3]);
  return backend.ops.transposeLast2(x);
}

export function transposeLast2Ref(x: Float32Array, [b, r, c]: readonly number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let bi = 0; bi < b; bi++)
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) y[(bi * c + j) * r + i] = x[(bi * r + i) * c + j];
  return y;
}
