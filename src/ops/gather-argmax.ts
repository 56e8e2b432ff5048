/**
 * EOT pooling: for each sequence b, the row of x [B, L, D] at the first position of the largest
 * token id (ids [B, L], i32). Cost: D·4 bytes per row.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';

export function gatherArgmax(x: Tensor, ids: Tensor): Tensor {
  const backend = backendOf('gatherArgmax', x, ids);
  const [b, l] = checkRank('gatherArgmax', 'x', x, 3);
  checkShape('gatherArgmax', 'ids', ids, [b, l], 'i32');
  return backend.ops.gatherArgmax(x, ids);
}

export function gatherArgmaxRef(x: Float32Array, ids: Int32Array, [b, l, d]: readonly number[]): Float32Array {
  const out = new Float32Array(b * d);
  for (let i = 0; i < b; i++) {
    let at = 0;
    for (let j = 1; j < l; j++) if (ids[i * l + j] > ids[i * l + at]) at = j;
    out.set(x.subarray((i * l + at) * d, (i * l + at + 1) * d), i * d);
  }
  return out;
}
