/** The ops that move values without arithmetic (or with one add): lookups, transposes, token layouts. Cost: memory bound. */
import type { Tensor } from '../../runtime/tensor.js';

const f32 = (t: Tensor): Float32Array => t.storage as Float32Array;

/** out[b, l, :] = table[ids[b, l], :] (+ positions[l, :]), the table as consecutive row blocks. */
export function embeddingGather(blocks: readonly Tensor[], idsT: Tensor, positions?: Tensor): Tensor {
  const d = blocks[0].shape[1];
  const ids = idsT.storage as Int32Array;
  const len = idsT.shape[idsT.shape.length - 1];
  const out = idsT.backend.empty([...idsT.shape, d], 'f32', 'embedding');
  const y = f32(out);
  const pos = positions ? f32(positions) : null;
  for (let i = 0; i < ids.length; i++) {
    let row = ids[i];
    let block = 0;
    while (row >= blocks[block].shape[0]) row -= blocks[block++].shape[0];
    const table = f32(blocks[block]);
    const p = (i % len) * d;
    for (let c = 0; c < d; c++) y[i * d + c] = pos ? table[row * d + c] + pos[p + c] : table[row * d + c];
  }
  return out;
}

/** Per sequence, the row at the first position of the largest id (the EOT token). */
export function gatherArgmax(x: Tensor, idsT: Tensor): Tensor {
  const [b, l, d] = x.shape;
  const ids = idsT.storage as Int32Array;
  const out = x.backend.empty([b, d], 'f32', 'gatherArgmax');
  const [src, y] = [f32(x), f32(out)];
  for (let i = 0; i < b; i++) {
    let at = 0;
    for (let j = 1; j < l; j++) if (ids[i * l + j] > ids[i * l + at]) at = j;
    y.set(src.subarray((i * l + at) * d, (i * l + at + 1) * d), i * d);
  }
  return out;
}

export function transposeLast2(x: Tensor): Tensor {
  const s = x.shape;
  const [b, r, c] = s.length === 3 ? s : [1, s[0], s[1]];
  const out = x.backend.empty(s.length === 3 ? [b, c, r] : [c, r], 'f32', 'transpose');
  const [src, y] = [f32(x), f32(out)];
  for (let bi = 0; bi < b; bi++) {
    const o = bi * r * c;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[o + j * r + i] = src[o + i * c + j];
  }
  return out;
}

/** [B, C, h, w] → [B, 1 + h·w, C]: the class token, then each patch plus its positional row. */
export function patchTokens(map: Tensor, positions: Tensor, clsT: Tensor): Tensor {
  const [b, c, h, w] = map.shape;
  const n = h * w;
  const out = map.backend.empty([b, n + 1, c], 'f32', 'patchTokens');
  const [src, pos, cls, y] = [f32(map), f32(positions), f32(clsT), f32(out)];
  for (let bi = 0; bi < b; bi++) {
    y.set(cls, bi * (n + 1) * c);
    for (let t = 0; t < n; t++) for (let ch = 0; ch < c; ch++) y[(bi * (n + 1) + t + 1) * c + ch] = src[(bi * c + ch) * n + t] + pos[t * c + ch];
  }
  return out;
}

export function selectToken(x: Tensor, index: number): Tensor {
  const [b, l, c] = x.shape;
  const out = x.backend.empty([b, c], 'f32', 'selectToken');
  const [src, y] = [f32(x), f32(out)];
  for (let bi = 0; bi < b; bi++) y.set(src.subarray((bi * l + index) * c, (bi * l + index + 1) * c), bi * c);
  return out;
}
