/**
 * 2-D convolution on NCHW, zero padding, weight [Cout, Cin/groups, KH, KW], optional bias and
 * fused activation. Covers dense, grouped, depthwise and grouped-expanding convs (groups = Cin,
 * Cout = 2·Cin: output o reads input ⌊o/2⌋), any stride and non-square kernels (1×11).
 *
 * Paths:
 *  - 1×1, stride 1, no padding, groups 1: a GEMM per image, out[n] = W[Cout, Cin] · x[n][Cin, H·W]
 *    (the weight is shared across the batch; bias and scale run along the output channel);
 *  - other dense convs on subgroup adapters: im2col, then that GEMM with K = Cin·KH·KW;
 *  - depthwise convs at strides 1 and 2 on subgroup adapters: `conv2d-depthwise.ts` (tiles of
 *    4 output rows, weights shared by subgroup);
 *  - everything else: a direct kernel computing four outputs along x per invocation, with KW a
 *    compile-time constant so each kernel row's loads unroll, the kernel rows looped (KH from the
 *    uniform), and strides 1 and 2, GELU or none, chosen by the uniform (one text each). Padding
 *    bounds use signed arithmetic, never unsigned wrap-around.
 * Cost: 2·N·Cout·OH·OW·(Cin/groups)·KH·KW flops.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, checkShape, fmtShape, floatResult } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { type Activation, type ActivationChoice, activationChoice, activationParams, activationParamTypes, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { convSignature } from './wgsl/conv-signature.js';
import { gemm } from './matmul.js';
import { im2col } from './im2col.js';
import { depthwiseConvTiled, depthwiseTileColumns } from './conv2d-depthwise.js';
import { activationRef } from './unary.js';

export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  /** Zero padding [top/bottom, left/right] (PyTorch's `padding`); default 0. */
  padding?: number | readonly [number, number];
  groups?: number;
  bias?: Tensor;
  act?: Activation;
}

/**
 * What the direct kernel's text fixes: the kernel width, the horizontal stride (or, for strides 1
 * and 2, `sw: 0`: either, chosen by the uniform), the bias, and the activation (or `act: 'gelu?'`:
 * GELU or none, chosen by the uniform). Each variant is a compile (lavapipe 0.1–0.3 s), and the
 * convs it takes (depthwise ones on planes without whole subgroups of tiles, dense ones off the
 * im2col path) come at strides 1 and 2, with and without GELU.
 */
interface Variant {
  kw: number;
  sw: number;
  bias: boolean;
  act: ActivationChoice;
}

/** The variant that runs a conv of this width, stride and activation. */
function directVariant(kw: number, sw: number, bias: boolean, act: Activation): Variant {
  return { kw, sw: sw <= 2 ? 0 : sw, bias, act: activationChoice(act) };
}

const WG = 64;

/**
 * The direct kernel: each invocation computes DW_OX neighbouring outputs along x from one register
 * row segment per (input channel, kernel row), so each input value is loaded once per row instead
 * of once per tap (a depthwise 7×7: 70 loads for 196 MACs instead of 392). 6× faster than one
 * output per invocation on lavapipe for the 7×7 depthwise convs.
 */
const DW_OX = 4;

const PARAMS = {
  total: 'u32', cin: 'u32', h: 'u32', w: 'u32',
  cout: 'u32', oh: 'u32', ow: 'u32', cin_per_group: 'u32',
  cout_per_group: 'u32', pad_h: 'i32', pad_w: 'i32', kh: 'u32', tile: 'u32',
  sh: 'u32', sw: 'u32',
} as const;

const wgslRowBlocked = (v: Variant) => {
  // Strides 1 and 2 share a text: the segment is sized for 2, and each tap picks its four inputs
  // by the uniform's stride (constant indices either way, so the segment stays in registers).
  const sw = v.sw || 2;
  const seg = (DW_OX - 1) * sw + v.kw;
  const taps = (step: number) => `vec4(seg[kx], seg[kx + ${step}u], seg[kx + ${2 * step}u], seg[kx + ${3 * step}u])`;
  const tap = v.sw ? taps(v.sw) : `select(${taps(1)}, ${taps(2)}, p.sw == 2u)`;
  return /* wgsl */ `
${activationWgsl(v.act)}
${LINEAR_INDEX_WGSL}
const KW = ${v.kw}u;
const SEG = ${seg}u;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // one per DW_OX outputs
  if (i >= p.total) { return; }
  let groups_x = (p.ow + ${DW_OX - 1}u) / ${DW_OX}u;
  let ox0 = (i % groups_x) * ${DW_OX}u;
  let oy = (i / groups_x) % p.oh;
  let oc = (i / (groups_x * p.oh)) % p.cout;
  let n = i / (groups_x * p.oh * p.cout);
  let ic0 = (oc / p.cout_per_group) * p.cin_per_group;
  let iy0 = i32(oy * p.sh) - p.pad_h;
  let ix0 = i32(ox0 * p.sw) - p.pad_w;
  var acc = vec4(0.0);
  for (var icg = 0u; icg < p.cin_per_group; icg++) {
  let xbase = (n * p.cin + ic0 + icg) * p.h * p.w;
  let wbase = (oc * p.cin_per_group + icg) * p.kh * KW;
  // Kernel rows and stores loop to bounds from the uniform, which the driver cannot unroll:
  // lavapipe emits each lane-varying load as 8 branchy scalar loads, so an unrolled 7×7 window
  // (KH·${seg + v.kw} load sites) cost more compile time than the whole kernel's run.
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    let row = xbase + u32(iy) * p.w;
    var seg: array<f32, SEG>;
    for (var s = 0u; s < SEG; s++) {
      let ix = ix0 + i32(s);
      let inside = ix >= 0 && ix < i32(p.w);
      seg[s] = select(0.0, load_x(row + u32(clamp(ix, 0, i32(p.w) - 1))), inside);
    }
    for (var kx = 0u; kx < KW; kx++) {
      let wv = load_wt(wbase + ky * KW + kx);
      acc += wv * ${tap};
    }
  }
  }
  let obase = ((n * p.cout + oc) * p.oh + oy) * p.ow;
  for (var j = 0u; j < p.tile; j++) {
    if (ox0 + j >= p.ow) { break; }
    var v = acc[j]${v.bias ? ' + load_bias(oc)' : ''};
    v = activate(v);
    store_y(obase + ox0 + j, v);
  }
}`;
};

/**
 * Dense convs go through im2col + GEMM where the policy says so, the GEMM takes the product as
 * vec4 rows (pixels % 4 == 0) and the column matrix fits the policy's bound; otherwise the direct kernel.
 */
function useIm2col(x: Tensor, K: number, outPixels: number): boolean {
  const bytes = K * outPixels * x.shape[0] * 4;
  return outPixels % 4 === 0 && bytes <= x.gpu.policy.im2colMaxBytes;
}

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

export function conv2dOutputSize(h: number, w: number, kh: number, kw: number, stride: [number, number], pad: [number, number]): [number, number] {
  return [Math.floor((h + 2 * pad[0] - kh) / stride[0]) + 1, Math.floor((w + 2 * pad[1] - kw) / stride[1]) + 1];
}

export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const [n, cin, h, w] = checkRank(op, 'x', x, 4);
  const [cout, cinPerGroup, kh, kw] = checkRank(op, 'weight', weight, 4);
  const groups = opts.groups ?? 1;
  const stride = pair(opts.stride, 1);
  const pad = pair(opts.padding, 0);
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0) {
    throw new ShapeError(`${op}: groups=${groups} must divide both Cin=${cin} (x ${fmtShape(x.shape)}) and Cout=${cout}`);
  }
  if (cinPerGroup !== cin / groups) {
    throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} expects ${cinPerGroup} input channels per group, x ${fmtShape(x.shape)} with groups=${groups} gives ${cin / groups}`);
  }
  if (stride.some((s) => !Number.isInteger(s) || s < 1) || pad.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ShapeError(`${op}: invalid stride ${stride} or padding ${pad}`);
  }
  if (opts.bias) checkShape(op, 'bias', opts.bias, [cout]);
  const [oh, ow] = conv2dOutputSize(h, w, kh, kw, stride, pad);
  if (oh <= 0 || ow <= 0) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} is smaller than the ${kh}×${kw} kernel with padding ${pad}`);
  const act = opts.act ?? 'none';

  if (kh === 1 && kw === 1 && groups === 1 && stride[0] === 1 && stride[1] === 1 && pad[0] === 0 && pad[1] === 0) {
    return pointwiseConv(x, weight, { bias: opts.bias, act });
  }

  if (groups === 1 && useIm2col(x, cin * kh * kw, oh * ow)) {
    const K = cin * kh * kw;
    // The column matrix goes back to the pool at the scope's end; the GEMM recorded before reads it.
    return x.gpu.scope(() => gemm({
      a: weight, b: im2col(x, kh, kw, stride, pad, [oh, ow]), bLayout: 'kn', M: cout, N: oh * ow, K, batch: n, strideA: 0, strideB: K * oh * ow,
      outShape: [n, cout, oh, ow], bias: opts.bias, biasAlong: 'm', act, label: `conv${kh}x${kw}.im2col`,
    }));
  }

  if (groups === cin && depthwiseTileColumns(x.gpu, stride, [oh, ow])) {
    return depthwiseConvTiled(x, weight, { stride, pad, out: [oh, ow], bias: opts.bias, act });
  }

  const v = directVariant(kw, stride[1], !!opts.bias, act);
  const y = x.gpu.empty([n, cout, oh, ow], floatResult(x, weight), op);
  const total = n * cout * oh * Math.ceil(ow / DW_OX);
  x.gpu.dispatch({
    label: `conv2d.k${kh}x${kw}.s${stride[0]}x${stride[1]}${opts.bias ? '.bias' : ''}.${act}`,
    signature: convSignature({ ...PARAMS, ...activationParamTypes(v.act) }, v.bias),
    body: wgslRowBlocked(v),
    params: {
      total, cin, h, w, cout, oh, ow, cin_per_group: cinPerGroup, cout_per_group: cout / groups, pad_h: pad[0], pad_w: pad[1], kh, tile: DW_OX,
      sh: stride[0], sw: stride[1], ...activationParams(v.act, act),
    },
    bindings: { x, wt: weight, y, ...(opts.bias && { bias: opts.bias }) },
    workgroups: grid1d(total, WG),
    flops: 2 * n * cout * oh * ow * cinPerGroup * kh * kw,
  });
  return y;
}

/**
 * A 1×1 convolution (stride 1, groups 1) as the GEMM it is, with the full epilogue: bias, act,
 * per-output-channel scale, residual. weight [Cout, Cin] or [Cout, Cin, 1, 1]; x [N, Cin, H, W].
 */
export function pointwiseConv(x: Tensor, weight: Tensor, epi: { bias?: Tensor; act?: Activation; scale?: Tensor; residual?: Tensor } = {}): Tensor {
  const [n, cin, h, w] = checkRank('pointwiseConv', 'x', x, 4);
  const ws = checkRank('pointwiseConv', 'weight', weight, [2, 4]);
  if (ws[1] !== cin || (ws.length === 4 && (ws[2] !== 1 || ws[3] !== 1))) {
    throw new ShapeError(`pointwiseConv: weight ${fmtShape(ws)} does not map x ${fmtShape(x.shape)} (expected [Cout, ${cin}, 1, 1])`);
  }
  const cout = ws[0];
  return gemm({
    a: weight, b: x, bLayout: 'kn', M: cout, N: h * w, K: cin, batch: n, strideA: 0, strideB: cin * h * w,
    outShape: [n, cout, h, w], bias: epi.bias, biasAlong: 'm', act: epi.act, scale: epi.scale, scaleAlong: 'm',
    residual: epi.residual, label: 'conv1x1',
  });
}

export interface Conv2dRefOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  groups?: number;
  bias?: Float32Array;
  act?: Activation;
}

/** The plain reference (float64 accumulation). Returns the output and its shape. */
export function conv2dRef(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  opts: Conv2dRefOptions = {},
): { out: Float32Array; shape: number[] } {
  const [n, cin, h, wd] = xShape;
  const [cout, cpg, kh, kw] = wShape;
  const groups = opts.groups ?? 1;
  const stride = pair(opts.stride, 1);
  const pad = pair(opts.padding, 0);
  const [oh, ow] = conv2dOutputSize(h, wd, kh, kw, stride, pad);
  const f = activationRef(opts.act ?? 'none');
  const out = new Float32Array(n * cout * oh * ow);
  const coutPerGroup = cout / groups;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < cout; oc++) {
      const g = Math.floor(oc / coutPerGroup);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = 0;
          for (let icg = 0; icg < cpg; icg++) {
            const ic = g * cpg + icg;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * stride[0] - pad[0] + ky;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * stride[1] - pad[1] + kx;
                if (ix < 0 || ix >= wd) continue;
                acc += x[((b * cin + ic) * h + iy) * wd + ix] * w[((oc * cpg + icg) * kh + ky) * kw + kx];
              }
            }
          }
          if (opts.bias) acc += opts.bias[oc];
          out[((b * cout + oc) * oh + oy) * ow + ox] = f(acc);
        }
    }
  return { out, shape: [n, cout, oh, ow] };
}
