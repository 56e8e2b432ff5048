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
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import type { Conv2dGeometry } from '../../../runtime/backend-ops.js';
import { type Activation, type ActivationChoice, activationChoice, activationParams, activationParamTypes, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { convSignature } from './wgsl/conv-signature.js';
import { gemm } from './matmul.js';
import { im2col } from './im2col.js';
import { depthwiseConvTiled, depthwiseTileColumns } from './conv2d-depthwise.js';

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
  return outPixels % 4 === 0 && bytes <= gpuOf(x).policy.im2colMaxBytes;
}

/** The WebGPU conv (ops/conv2d.ts has checked it and sends 1×1 stride-1 convs to the GEMM). */
export function conv2d(x: Tensor, weight: Tensor, g: Conv2dGeometry): Tensor {
  const { n, cin, h, w, cout, cinPerGroup, kh, kw, groups, stride, pad, oh, ow, act } = g;
  const gpu = gpuOf(x);
  if (groups === 1 && useIm2col(x, cin * kh * kw, oh * ow)) {
    const K = cin * kh * kw;
    // The column matrix goes back to the pool at the scope's end; the GEMM recorded before reads it.
    return gpu.scope(() => gemm({
      a: weight, b: im2col(x, kh, kw, stride, pad, [oh, ow]), bLayout: 'kn', M: cout, N: oh * ow, K, batch: n, strideA: 0, strideB: K * oh * ow,
      outShape: [n, cout, oh, ow], bias: g.bias, biasAlong: 'm', act, label: `conv${kh}x${kw}.im2col`,
    }));
  }

  if (groups === cin && depthwiseTileColumns(gpu, stride, [oh, ow])) {
    return depthwiseConvTiled(x, weight, { stride, pad, out: [oh, ow], bias: g.bias, act });
  }

  const v = directVariant(kw, stride[1], !!g.bias, act);
  const y = gpu.empty([n, cout, oh, ow], floatResult(x, weight), 'conv2d');
  const total = n * cout * oh * Math.ceil(ow / DW_OX);
  gpu.dispatch({
    label: `conv2d.k${kh}x${kw}.s${stride[0]}x${stride[1]}${g.bias ? '.bias' : ''}.${act}`,
    signature: convSignature({ ...PARAMS, ...activationParamTypes(v.act) }, v.bias),
    body: wgslRowBlocked(v),
    params: {
      total, cin, h, w, cout, oh, ow, cin_per_group: cinPerGroup, cout_per_group: cout / groups, pad_h: pad[0], pad_w: pad[1], kh, tile: DW_OX,
      sh: stride[0], sw: stride[1], ...activationParams(v.act, act),
    },
    bindings: { x, wt: weight, y, ...(g.bias && { bias: g.bias }) },
    workgroups: grid1d(total, WG),
    flops: 2 * n * cout * oh * ow * cinPerGroup * kh * kw,
  });
  return y;
}
