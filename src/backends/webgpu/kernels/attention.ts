/**
 * Multi-head attention from a fused qkv tensor [B, N, 3, heads, head_dim] (the layout both the
 * image MHSA and the text/ViT attention produce with one qkv projection):
 *   out[b, i, h·hd + d] = Σ_j softmax_j((q_i · scale) · k_j [+ causal mask]) · v_j[d]
 * One invocation per (b, head, query): a first pass over the keys finds the row max, a second
 * accumulates exp(s − max)·v; for the short sequences here (≤ 256 tokens) the scores never leave
 * registers. head_dim is a compile-time constant (it sizes the accumulators).
 * Cost: 4·B·heads·N²·head_dim flops.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { ShapeError } from '../../../runtime/errors.js';
import { attentionViaGemm } from './attention-gemm.js';
import type { AttentionGeometry, AttentionOptions } from '../../../runtime/backend-ops.js';
import { qkvShape } from '../../../ops/attention.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 64;

const signature: KernelSignature = {
  params: { batch: 'u32', n: 'u32', heads: 'u32', scale: 'f32' },
  bindings: { qkv: input('vec4<f32>'), out: output('vec4<f32>') },
};

const wgsl = (hd: number, causal: boolean) => /* wgsl */ `
const HD4 = ${hd / 4}u;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  let h = gid.y;
  let b = gid.z;
  if (i >= p.n) { return; }
  let rowStride = 3u * p.heads * HD4;             // one token's q, k and v
  let tok0 = b * p.n * rowStride + h * HD4;       // head h of token 0, q slot
  var q: array<vec4<f32>, ${hd / 4}>;
  for (var d = 0u; d < HD4; d++) { q[d] = load_qkv(tok0 + i * rowStride + d) * p.scale; }
  let kOff = p.heads * HD4;
  let vOff = 2u * p.heads * HD4;
  let jEnd = ${causal ? 'i + 1u' : 'p.n'};
  var mx = -3.4028234663852886e38;
  for (var j = 0u; j < jEnd; j++) {
    let kb = tok0 + j * rowStride + kOff;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(q[d], load_qkv(kb + d)); }
    mx = max(mx, s);
  }
  var l = 0.0;
  var acc: array<vec4<f32>, ${hd / 4}>;
  for (var j = 0u; j < jEnd; j++) {
    let kb = tok0 + j * rowStride + kOff;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(q[d], load_qkv(kb + d)); }
    let e = exp(s - mx);
    l += e;
    let vb = tok0 + j * rowStride + vOff;
    for (var d = 0u; d < HD4; d++) { acc[d] += e * load_qkv(vb + d); }
  }
  let o = ((b * p.n + i) * p.heads + h) * HD4;
  for (var d = 0u; d < HD4; d++) { store_out(o + d, acc[d] / l); }
}`;


/**
 * qkv [B, N, 3·heads·head_dim] (or [B, N, 3, heads, head_dim]) → [B, N, heads·head_dim]: the fused
 * kernel, or GEMMs + softmax from the policy's token count on (see policy.ts for why).
 */
export function attention(qkv: Tensor, opts: AttentionGeometry): Tensor {
  if (qkv.shape[1] >= gpuOf(qkv).policy.attentionGemmFromTokens) {
    return attentionViaGemm(qkv, opts);
  }
  return attentionFused(qkv, opts);
}

/** The single fused kernel (the default on GPUs). */
export function attentionFused(qkv: Tensor, opts: AttentionOptions): Tensor {
  const heads = opts.heads;
  const { b, n, hd } = qkvShape(qkv, heads);
  // The fused kernel reads head_dim as vec4s and keeps one query's row in registers.
  if (hd % 4 !== 0 || hd > 256) throw new ShapeError(`attention: head_dim ${hd} must be a multiple of 4, at most 256`);
  const out = gpuOf(qkv).empty([b, n, heads * hd], floatResult(qkv), 'attention');
  const causal = !!opts.causal;
  gpuOf(qkv).dispatch({
    label: `attention.hd${hd}${causal ? '.causal' : ''}`,
    signature,
    body: wgsl(hd, causal),
    params: { batch: b, n, heads, scale: opts.scale ?? hd ** -0.5 },
    bindings: { qkv, out },
    workgroups: [Math.ceil(n / WG), heads, b],
    flops: 4 * b * heads * n * n * hd, // q·kᵀ and p·v
  });
  return out;
}
