/**
 * Multi-head attention from the fused qkv [B, N, 3, heads, hd] on the CPU: per (batch, head,
 * query) the scores against every key (or the keys up to the query's position, causal), a softmax
 * shifted by the row maximum, and the probability-weighted sum of the values.
 * Cost: 4·B·heads·N²·hd flops.
 */
import type { AttentionGeometry } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';

export function attention(qkvT: Tensor, g: AttentionGeometry): Tensor {
  const { b, n, heads, hd, scale, causal } = g;
  const qkv = qkvT.storage as Float32Array;
  const out = qkvT.backend.empty([b, n, heads * hd], 'f32', 'attention');
  const y = out.storage as Float32Array;
  const row = 3 * heads * hd; // one token's q, k and v
  const q = new Float64Array(hd);
  const p = new Float64Array(n);
  const acc = new Float64Array(hd);
  for (let bi = 0; bi < b; bi++) {
    const base = bi * n * row;
    for (let h = 0; h < heads; h++) {
      const qo = base + h * hd;
      const ko = qo + heads * hd;
      const vo = qo + 2 * heads * hd;
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < hd; d++) q[d] = Math.fround(qkv[qo + i * row + d] * scale);
        const jEnd = causal ? i + 1 : n;
        let mx = -Infinity;
        for (let j = 0; j < jEnd; j++) {
          const kr = ko + j * row;
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[d] * qkv[kr + d];
          p[j] = s;
          if (s > mx) mx = s;
        }
        let l = 0;
        acc.fill(0);
        for (let j = 0; j < jEnd; j++) {
          const e = Math.exp(p[j] - mx);
          l += e;
          const vr = vo + j * row;
          for (let d = 0; d < hd; d++) acc[d] += e * qkv[vr + d];
        }
        const yo = ((bi * n + i) * heads + h) * hd;
        for (let d = 0; d < hd; d++) y[yo + d] = acc[d] / l;
      }
    }
  }
  return out;
}
