/**
 * Attention as GEMMs, for adapters where the fused kernel's per-query registers spill (lavapipe:
 * one query per invocation holds 2·head_dim floats per lane). Same math as `attention`:
 *   q·scale, k, v = split(qkv)              (one layout kernel)
 *   S = q·kᵀ, per (batch, head)               (batched GEMM)
 *   P = softmax(S) (+ causal mask)            (row kernel)
 *   O = P·v, merged back to [B, N, heads·hd]  (batched GEMM + layout kernel)
 * Cost: the fused kernel's flops plus 4·B·heads·N² bytes for S.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { gemm } from './matmul.js';
import { softmax } from './softmax.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import type { AttentionOptions } from '../../../runtime/backend-ops.js';
import { qkvShape } from '../../../ops/attention.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 256;

// qkv [B, N, 3, H, hd] → q, k, v each [B·H, N, hd]; q times the scale (PyTorch scales q before q·kᵀ).
const splitSignature: KernelSignature = {
  params: { total: 'u32', n: 'u32', heads: 'u32', hd: 'u32', scale: 'f32' },
  bindings: { qkv: input(), q: output(), k: output(), v: output() },
};
const splitWgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into q, k and v
  if (i >= p.total) { return; }
  let d = i % p.hd;
  let t = (i / p.hd) % p.n;
  let bh = i / (p.hd * p.n);
  let src = ((bh / p.heads * p.n + t) * 3u * p.heads + bh % p.heads) * p.hd + d;
  let row = p.heads * p.hd;  // q, k, v of one token are this far apart
  store_q(i, load_qkv(src) * p.scale);
  store_k(i, load_qkv(src + row));
  store_v(i, load_qkv(src + 2u * row));
}`;

// O [B·H, N, hd] → [B, N, H·hd]
const mergeSignature: KernelSignature = { params: { total: 'u32', n: 'u32', heads: 'u32', hd: 'u32' }, bindings: { o: input(), out: output() } };
const mergeWgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into out [B, N, H, hd]
  if (i >= p.total) { return; }
  let d = i % p.hd;
  let h = (i / p.hd) % p.heads;
  let t = (i / (p.hd * p.heads)) % p.n;
  let b = i / (p.hd * p.heads * p.n);
  store_out(i, load_o(((b * p.heads + h) * p.n + t) * p.hd + d));
}`;

/** q·scale, k, v split from qkv, each [B·H, N, hd], and S = q·kᵀ [B·H, N, N]; returns S and v (q and k are freed). */
function scoresAndValues(qkv: Tensor, heads: number, scale: number | undefined): { scores: Tensor; v: Tensor } {
  const { b, n, hd } = qkvShape(qkv, heads);
  const gpu = gpuOf(qkv);
  const bh = b * heads;
  return gpu.scope(() => {
    const [q, k, v] = ['q', 'k', 'v'].map((name) => gpu.empty([bh, n, hd], floatResult(qkv), `attention.${name}`));
    gpu.dispatch({
      label: 'attention.split_heads',
      signature: splitSignature,
      body: splitWgsl(),
      params: { total: q.size, n, heads, hd, scale: scale ?? hd ** -0.5 },
      bindings: { qkv, q, k, v },
      workgroups: grid1d(q.size, WG),
    });
    const scores = gemm({ a: q, b: k, bLayout: 'nk', M: n, N: n, K: hd, batch: bh, strideA: n * hd, strideB: n * hd, outShape: [bh, n, n], label: 'attention.scores' });
    return { scores, v };
  });
}

export function attentionViaGemm(qkv: Tensor, opts: AttentionOptions): Tensor {
  const heads = opts.heads;
  const { b, n, hd } = qkvShape(qkv, heads);
  const gpu = gpuOf(qkv);
  const bh = b * heads;
  // Nested scopes free each temporary once the next step is recorded: q, k, then the scores.
  return gpu.scope(() => {
    const { probs, v } = gpu.scope(() => {
      const { scores, v } = scoresAndValues(qkv, heads, opts.scale);
      return { probs: softmax(scores, { causal: !!opts.causal }), v };
    });
    const o = gemm({ a: probs, b: v, bLayout: 'kn', M: n, N: hd, K: n, batch: bh, strideA: n * n, strideB: n * hd, outShape: [bh, n, hd], label: 'attention.values', anyK: true });
    const out = gpu.empty([b, n, heads * hd], floatResult(qkv), 'attention');
    gpu.dispatch({
      label: 'attention.merge_heads', signature: mergeSignature, body: mergeWgsl(),
      params: { total: out.size, n, heads, hd }, bindings: { o, out }, workgroups: grid1d(out.size, WG),
    });
    return out;
  });
}
