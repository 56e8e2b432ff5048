/**
 * Multi-head attention from the fused qkv [B, N, 3, heads, hd] on the CPU, per (batch, head):
 * scores S = (q·scale)·kᵀ, a softmax along each row (shifted by the row maximum; causal: the keys
 * up to the query's position), then P·v. With WebAssembly SIMD both products run in the packed
 * 4×8-tile GEMM kernel, q, k, v packed straight from the strided qkv, and the softmax in the wasm
 * row kernel (kernels.wat); without, plain loops in float64.
 * Cost: 4·B·heads·N²·hd flops.
 */
import type { AttentionGeometry } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import { type WasmKernels, wasmKernels } from './wasm-kernels.js';
import { countFlops } from './flop-count.js';

const round = (n: number, to: number) => Math.ceil(n / to) * to;

export function attention(qkvT: Tensor, g: AttentionGeometry): Tensor {
  const out = qkvT.backend.empty([g.b, g.n, g.heads * g.hd], 'f32', 'attention');
  countFlops(out, 4 * g.b * g.heads * g.n * g.n * g.hd);
  const kernels = wasmKernels();
  if (kernels) attentionPacked(kernels, qkvT.storage as Float32Array, out.storage as Float32Array, g);
  else attentionJs(qkvT.storage as Float32Array, out.storage as Float32Array, g);
  return out;
}

function attentionPacked(kernels: WasmKernels, qkv: Float32Array, y: Float32Array, g: AttentionGeometry): void {
  const { b, n, heads, hd, scale, causal } = g;
  const row = 3 * heads * hd; // one token's q, k and v
  const [n4, n8, hd8] = [round(n, 4), round(n, 8), round(hd, 8)];
  // Scores: A = q [n4 rows, hd], B = k as columns [hd, n8], C [n4, n8]; then A = p [n4, n], B = v [n, hd8], C [n4, hd8].
  const qAt = kernels.scratchAt;
  const kAt = qAt + n4 * hd;
  const sAt = kAt + n8 * hd;
  const pAt = sAt + n4 * n8;
  const vAt = pAt + n4 * n;
  const oAt = vAt + hd8 * n;
  const mem = kernels.floats(oAt + n4 * hd8);
  mem.fill(0, qAt, oAt); // padding rows and columns stay zero
  for (let bi = 0; bi < b; bi++) {
    for (let h = 0; h < heads; h++) {
      const qo = bi * n * row + h * hd;
      const ko = qo + heads * hd;
      const vo = qo + 2 * heads * hd;
      // q·scale as 4-row panels [n4/4][hd][4]; k as 8-column panels [n8/8][hd][8]; v as [hd8/8][n][8].
      for (let i = 0; i < n; i++) {
        const d0 = qAt + (i >> 2) * hd * 4 + (i & 3);
        for (let d = 0; d < hd; d++) mem[d0 + d * 4] = Math.fround(qkv[qo + i * row + d] * scale);
      }
      for (let j = 0; j < n; j++) {
        const d0 = kAt + (j >> 3) * hd * 8 + (j & 7);
        for (let d = 0; d < hd; d++) mem[d0 + d * 8] = qkv[ko + j * row + d];
      }
      for (let j = 0; j < n; j++) {
        for (let d = 0; d < hd; d++) mem[vAt + (d >> 3) * n * 8 + j * 8 + (d & 7)] = qkv[vo + j * row + d];
      }
      kernels.gemm4x8(qAt, kAt, sAt, n4 / 4, n8 / 8, hd);
      // Softmax of each query row in place (the wasm kernel; causal: the masked keys become 0), then P as 4-row panels.
      kernels.softmaxAt(sAt, n, n, n8, causal);
      for (let i = 0; i < n; i++) {
        const s = sAt + i * n8;
        const d0 = pAt + (i >> 2) * n * 4 + (i & 3);
        for (let j = 0; j < n; j++) mem[d0 + j * 4] = mem[s + j];
      }
      kernels.gemm4x8(pAt, vAt, oAt, n4 / 4, hd8 / 8, n);
      for (let i = 0; i < n; i++) {
        const yo = ((bi * n + i) * heads + h) * hd;
        y.set(mem.subarray(oAt + i * hd8, oAt + i * hd8 + hd), yo);
      }
    }
  }
}

function attentionJs(qkv: Float32Array, y: Float32Array, g: AttentionGeometry): void {
  const { b, n, heads, hd, scale, causal } = g;
  const row = 3 * heads * hd;
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
}
