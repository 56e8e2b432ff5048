/**
 * The memory-bound ops on the CPU: activations, the per-channel affine, and the row reductions
 * (LayerNorm, softmax, L2 normalisation, global average pooling). Cost: a few flops per element.
 */
import type { Activation, ChannelAffineSpec } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { CpuBackend } from './cpu-backend.js';
import { ACTIVATE } from './activation.js';
import { wasmKernels } from './wasm-kernels.js';

const f32 = (t: Tensor): Float32Array => t.storage as Float32Array;

export function unary(x: Tensor, act: Activation): Tensor {
  const out = (x.backend as CpuBackend).uninitialized(x.shape, act);
  const f = ACTIVATE[act];
  const src = f32(x);
  const y = f32(out);
  const kernels = wasmKernels();
  if (!f) y.set(src);
  else if (kernels) kernels.activate(src, y, act);
  else for (let i = 0; i < src.length; i++) y[i] = f(src[i]);
  return out;
}

/** y = act(x·scale[c] + shift[c]) + residual, each step rounded to float32 as the GPU kernel stores it. */
export function channelAffine(x: Tensor, scaleT: Tensor, s: ChannelAffineSpec): Tensor {
  const out = (x.backend as CpuBackend).uninitialized(x.shape, 'channelAffine');
  const [src, y, scale] = [f32(x), f32(out), f32(scaleT)];
  const shift = s.shift ? f32(s.shift) : null;
  const residual = s.residual ? f32(s.residual) : null;
  const kernels = wasmKernels();
  // With the SIMD kernels the activation is a pass of its own, between the affine and the residual.
  const f = kernels ? null : ACTIVATE[s.act ?? 'none'];
  const channels = scale.length;
  const { inner } = s;
  for (let start = 0, step = 0; start < src.length; start += inner, step++) {
    const c = step % channels;
    const sc = scale[c];
    const sh = shift ? shift[c] : 0;
    for (let i = start; i < start + inner; i++) {
      let v = Math.fround(src[i] * sc);
      if (shift) v = Math.fround(v + sh);
      if (f) v = Math.fround(f(v));
      y[i] = residual && !kernels ? v + residual[i] : v;
    }
  }
  if (kernels) {
    if ((s.act ?? 'none') !== 'none') kernels.activate(y, y, s.act!);
    if (residual) for (let i = 0; i < y.length; i++) y[i] += residual[i];
  }
  return out;
}

/** With SIMD, the wasm kernel (f32 sums, kernels.wat); else this loop in float64, the plain reference. */
export function layerNorm(x: Tensor, wT: Tensor, bT: Tensor, eps: number): Tensor {
  const out = (x.backend as CpuBackend).uninitialized(x.shape, 'layerNorm');
  const [src, y, w, b] = [f32(x), f32(out), f32(wT), f32(bT)];
  const kernels = wasmKernels();
  if (kernels) {
    kernels.layerNorm(src, y, w, b, eps);
    return out;
  }
  const d = w.length;
  for (let r = 0; r < src.length; r += d) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += src[r + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (src[r + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r + i] = (src[r + i] - mean) * inv * w[i] + b[i];
  }
  return out;
}

/**
 * Softmax over the last dim; causal: row i of each [n, n] block keeps columns ≤ i (the rest are 0).
 * With SIMD, the wasm kernel (f32 sums, its own exp); else this loop in float64, the plain reference.
 */
export function softmax(x: Tensor, opts: { causal: boolean }): Tensor {
  const out = x.backend.empty(x.shape, 'f32', 'softmax');
  const [src, y] = [f32(x), f32(out)];
  const d = x.shape[x.shape.length - 1];
  const kernels = wasmKernels();
  if (kernels) {
    kernels.softmax(src, y, d, opts.causal);
    return out;
  }
  for (let r = 0, row = 0; r < src.length; r += d, row++) {
    const end = opts.causal ? (row % d) + 1 : d;
    let m = -Infinity;
    for (let i = 0; i < end; i++) m = Math.max(m, src[r + i]);
    let s = 0;
    for (let i = 0; i < end; i++) s += Math.exp(src[r + i] - m);
    for (let i = 0; i < d; i++) y[r + i] = i < end ? Math.exp(src[r + i] - m) / s : 0;
  }
  return out;
}

export function l2Normalize(x: Tensor, eps: number): Tensor {
  const out = x.backend.empty(x.shape, 'f32', 'l2Normalize');
  const [src, y] = [f32(x), f32(out)];
  const d = x.shape[x.shape.length - 1];
  for (let r = 0; r < src.length; r += d) {
    let s = 0;
    for (let i = 0; i < d; i++) s += src[r + i] * src[r + i];
    const norm = Math.max(Math.sqrt(s), eps);
    for (let i = 0; i < d; i++) y[r + i] = src[r + i] / norm;
  }
  return out;
}

export function globalAvgPool(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  const out = x.backend.empty([n, c], 'f32', 'globalAvgPool');
  const [src, y] = [f32(x), f32(out)];
  const len = h * w;
  for (let r = 0; r < n * c; r++) {
    let s = 0;
    for (let i = r * len; i < (r + 1) * len; i++) s += src[i];
    y[r] = s / len;
  }
  return out;
}
