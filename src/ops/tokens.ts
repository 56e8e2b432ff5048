/**
 * Token layouts of the ViT:
 *  - patchTokens: NCHW patch map [B, C, h, w] → [B, 1 + h·w, C] with the class token first and the
 *    positional table [h·w, C] added to the patch tokens only (n = y·w + x);
 *  - selectToken: [B, L, C] → [B, C], the row at one position (the class token).
 * Cost: memory bound, ~8 bytes per element.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { backendOf } from './backend-check.js';

export function patchTokens(map: Tensor, positions: Tensor, cls: Tensor): Tensor {
  const backend = backendOf('patchTokens', map, positions, cls);
  const [, c, h, w] = checkRank('patchTokens', 'map', map, 4);
  checkShape('patchTokens', 'positions', positions, [h * w, c]);
  if (cls.size !== c) throw new ShapeError(`patchTokens: class token has ${cls.size} values, the map has ${c} channels`);
  return backend.ops.patchTokens(map, positions, cls);
}

export function selectToken(x: Tensor, index: number): Tensor {
  const backend = backendOf('selectToken', x);
  const [, l] = checkRank('selectToken', 'x', x, 3);
  if (!Number.isInteger(index) || index < 0 || index >= l) throw new ShapeError(`selectToken: position ${index} outside [0, ${l})`);
  return backend.ops.selectToken(x, index);
}

export function patchTokensRef(map: Float32Array, [b, c, h, w]: readonly number[], pos: Float32Array, cls: Float32Array): Float32Array {
  const n = h * w;
  const out = new Float32Array(b * (n + 1) * c);
  for (let bi = 0; bi < b; bi++) {
    out.set(cls, bi * (n + 1) * c);
    for (let t = 0; t < n; t++) for (let ch = 0; ch < c; ch++) out[(bi * (n + 1) + t + 1) * c + ch] = map[(bi * c + ch) * n + t] + pos[t * c + ch];
  }
  return out;
}
