/**
 * Attention as GEMMs, for adapters where the fused kernel's per-query registers spill (lavapipe:
 * one query per invocation holds 2·head_dim floats per lane). Same math as `attention`:
 *   q, k, v = split(qkv), q·scale first      (one layout kernel)
 *   S = q·kᵀ, per (batch, head)               (batched GEMM)
 *   P = softmax(S) (+ causal mask)            (row kernel)
 *   O = P·v, merged back to [B, N, heads·hd]  (batched GEMM + layout kernel)
 * Cost: the fused kernel's flops plus 4·B·heads·N² bytes for S.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, fmtShape } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { gemm } from './matmul.js';
import { softmax } from './softmax.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import type { AttentionOptions } from './attention.js';

const WG = 256;

// qkv [B, N, 3, H, hd] → [3, B·H, N, hd], q multiplied by the scale (PyTorch scales q before q·kᵀ).
const splitWgsl = () => /* wgsl */ `
struct Params { total: u32, batch: u32, n: u32, heads: u32, hd: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into out
  if (i >= p.total) { return; }
  let d = i % p.hd;
  let t = (i / p.hd) % p.n;
  let bh = (i / (p.hd * p.n)) % (p.batch * p.heads);
  let s = i / (p.hd * p.n * p.batch * p.heads);
  let b = bh / p.heads;
  let h = bh % p.heads;
  let v = qkv[(((b * p.n + t) * 3u + s) * p.heads + h) * p.hd + d];
  out[i] = select(v, v * p.scale, s == 0u);
}`;

// O [B·H, N, hd] → [B, N, H·hd]
const mergeWgsl = () => /* wgsl */ `
struct Params { total: u32, n: u32, heads: u32, hd: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> o: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into out [B, N, H, hd]
  if (i >= p.total) { return; }
  let d = i % p.hd;
  let h = (i / p.hd) % p.heads;
  let t = (i / (p.hd * p.heads)) % p.n;
  let b = i / (p.hd * p.heads * p.n);
  out[i] = o[((b * p.heads + h) * p.n + t) * p.hd + d];
}`;

export function attentionViaGemm(qkv: Tensor, opts: AttentionOptions): Tensor {
  const shape = checkRank('attention', 'qkv', qkv, [3, 5]);
  const [b, n] = shape;
  const heads = opts.heads;
  const width = shape.slice(2).reduce((x, y) => x * y, 1);
  if (width % (3 * heads) !== 0) throw new ShapeError(`attention: qkv ${fmtShape(shape)} does not split into 3 × ${heads} heads`);
  const hd = width / (3 * heads);
  const gpu = qkv.gpu;
  const bh = b * heads;
  const split = gpu.empty([3, bh, n, hd], 'f32', 'attention.qkv_split');
  gpu.dispatch({
    label: 'attention.split_heads',
    code: splitWgsl(),
    params: [split.size, b, n, heads, hd, { f32: opts.scale ?? hd ** -0.5 }],
    bindings: [qkv, split],
    workgroups: grid1d(split.size, WG),
  });
  const per = bh * n * hd;
  const q = split; // q at offset 0; k and v follow: passed as the same buffer with batch offsets
  // S[bh] = q[bh] · k[bh]ᵀ: A = q (batch stride n·hd), B = k (the same buffer from offset per)
  const kView = gpu.empty([bh, n, hd], 'f32', 'attention.k');
  const vView = gpu.empty([bh, n, hd], 'f32', 'attention.v');
  gpu.copyRange(split, per, kView);
  gpu.copyRange(split, 2 * per, vView);
  const scores = gemm({ a: q, b: kView, bLayout: 'nk', M: n, N: n, K: hd, batch: bh, strideA: n * hd, strideB: n * hd, outShape: [bh, n, n], label: 'attention.scores' });
  kView.dispose();
  const probs = softmax(scores, { causal: !!opts.causal });
  scores.dispose();
  const o = gemm({ a: probs, b: vView, bLayout: 'kn', M: n, N: hd, K: n, batch: bh, strideA: n * n, strideB: n * hd, outShape: [bh, n, hd], label: 'attention.values' });
  probs.dispose();
  vView.dispose();
  split.dispose();
  const out = gpu.empty([b, n, heads * hd], 'f32', 'attention');
  gpu.dispatch({ label: 'attention.merge_heads', code: mergeWgsl(), params: [out.size, n, heads, hd], bindings: [o, out], workgroups: grid1d(out.size, WG) });
  o.dispose();
  return out;
}
