/**
 * Multi-head attention from a fused qkv tensor [B, N, 3, heads, head_dim] (the layout both the
 * image MHSA and the text/ViT attention produce with one qkv projection):
 *   out[b, i, h·hd + d] = Σ_j softmax_j((q_i · scale) · k_j [+ causal mask]) · v_j[d]
 * Cost: 4·B·heads·N²·head_dim flops.
 */
import type { Tensor } from '../runtime/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { checkRank, fmtShape } from '../runtime/shape.js';
import { backendOf } from './backend-check.js';
import type { AttentionOptions } from '../runtime/backend-ops.js';

export type { AttentionGeometry, AttentionOptions } from '../runtime/backend-ops.js';

/** Batch, tokens and head_dim of `qkv`; a ShapeError naming the shape when it is not a qkv of `heads` heads. */
export function qkvShape(qkv: Tensor, heads: number): { b: number; n: number; hd: number } {
  const shape = checkRank('attention', 'qkv', qkv, [3, 5]);
  const [b, n] = shape;
  const width = shape.slice(2).reduce((x, y) => x * y, 1);
  if (!Number.isInteger(heads) || heads < 1 || width % (3 * heads) !== 0) throw new ShapeError(`attention: qkv ${fmtShape(shape)} does not split into 3 × ${heads} heads`);
  if (shape.length === 5 && (shape[2] !== 3 || shape[3] !== heads)) {
    throw new ShapeError(`attention: qkv ${fmtShape(shape)} is not [B, N, 3, ${heads}, head_dim]`);
  }
  return { b, n, hd: width / (3 * heads) };
}

/** qkv [B, N, 3·heads·head_dim] (or [B, N, 3, heads, head_dim]) → [B, N, heads·head_dim]. */
export function attention(qkv: Tensor, opts: AttentionOptions): Tensor {
  const backend = backendOf('attention', qkv);
  const { b, n, hd } = qkvShape(qkv, opts.heads);
  return backend.ops.attention(qkv, { b, n, hd, heads: opts.heads, scale: opts.scale ?? hd ** -0.5, causal: !!opts.causal });
}

/** Reference on q, k, v in [B, heads, N, hd] (the ops fixture layout); returns [B, heads, N, hd]. */
export function attentionRef(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  [b, heads, n, hd]: readonly number[],
  causal = false,
  scale = hd ** -0.5,
): Float32Array {
  const out = new Float32Array(b * heads * n * hd);
  const s = new Float64Array(n);
  for (let bh = 0; bh < b * heads; bh++) {
    const base = bh * n * hd;
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      const jEnd = causal ? i + 1 : n;
      for (let j = 0; j < jEnd; j++) {
        let acc = 0;
        for (let d = 0; d < hd; d++) acc += Math.fround(q[base + i * hd + d] * scale) * k[base + j * hd + d];
        s[j] = acc;
        mx = Math.max(mx, acc);
      }
      let l = 0;
      for (let j = 0; j < jEnd; j++) l += s[j] = Math.exp(s[j] - mx);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j < jEnd; j++) acc += s[j] * v[base + j * hd + d];
        out[base + i * hd + d] = acc / l;
      }
    }
  }
  return out;
}

/** Packs q, k, v [B, heads, N, hd] into the fused [B, N, 3, heads, hd] layout. */
export function packQkv(q: Float32Array, k: Float32Array, v: Float32Array, [b, heads, n, hd]: readonly number[]): Float32Array {
  const out = new Float32Array(3 * b * heads * n * hd);
  [q, k, v].forEach((src, s) => {
    for (let bi = 0; bi < b; bi++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < n; i++)
          for (let d = 0; d < hd; d++)
            out[((((bi * n + i) * 3 + s) * heads + h) * hd) + d] = src[((bi * heads + h) * n + i) * hd + d];
  });
  return out;
}

/** [B, N, heads·hd] → [B, heads, N, hd]. */
export function splitHeads(x: Float32Array, [b, heads, n, hd]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let bi = 0; bi < b; bi++)
    for (let i = 0; i < n; i++)
      for (let h = 0; h < heads; h++)
        for (let d = 0; d < hd; d++) out[((bi * heads + h) * n + i) * hd + d] = x[((bi * n + i) * heads + h) * hd + d];
  return out;
}
