/**
 * Depthwise (and ×k expanding) conv at stride 1 or 2, the 3×3 / 7×7 / 1×11 token mixers of
 * MobileCLIP and the stride-2 3×3 / 7×7 of its stem and patch embeddings. On lavapipe every
 * lane-varying load is a gather, and gathers, not FMAs, bound these kernels; so each invocation
 * owns a tile of 4 output rows × C columns, reading each input row segment once for up to four
 * output rows (a 7×7 at stride 1: 10 rows × 10 loads for 16 outputs, against 7 × 10 for 4 in the
 * direct kernel). Lane l loads weights l, l + S, ... and the subgroup shares them by broadcast
 * instead of every lane gathering all KH·KW; so a subgroup must never straddle two channel planes,
 * and C (4, 2 or 1, from the uniform) is the widest that gives whole subgroups per plane (S0's 8×8
 * planes take C = 2). Stride 2 takes C ≤ 2, so one text's 3 + KW-wide segment serves both strides.
 * Output channel oc reads input channel ⌊oc / (Cout/Cin)⌋. Reference: conv2dRef (conv2d.ts).
 * Cost: 2·N·Cout·OH·OW·KH·KW flops; ((OY−1)·SH + KH)·(OX−1+KW) input gathers per OY·C outputs.
 */
import { gpuOf } from '../tensor-storage.js';
import { floatResult } from '../../../runtime/shape.js';
import type { Tensor } from '../../../runtime/tensor.js';
import type { Gpu } from '../gpu.js';
import { GpuError } from '../../../runtime/errors.js';
import { DEPTHWISE_TILE_WORKGROUP } from '../policy.js';
import { type Activation, type ActivationChoice, activationChoice, activationParams, activationParamTypes, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { convSignature } from './wgsl/conv-signature.js';

const WG = DEPTHWISE_TILE_WORKGROUP;
/** Output rows per tile, and the most columns (the segment is OX − 1 + KW wide). */
const OY = 4;
const OX = 4;

const PARAMS = {
  total: 'u32', cin: 'u32', h: 'u32', w: 'u32', cout: 'u32', oh: 'u32', ow: 'u32',
  tiles_x: 'u32', tiles_y: 'u32', cout_per_cin: 'u32', pad_h: 'i32', pad_w: 'i32',
  sh: 'u32', sw: 'u32', in_rows: 'u32', tile_rows: 'u32', tile_cols: 'u32',
} as const;

interface Variant {
  kh: number;
  kw: number;
  bias: boolean;
  act: ActivationChoice;
  subgroupSize: number;
}

function wgsl(v: Variant): string {
  const SEG = OX - 1 + v.kw;
  const taps = v.kh * v.kw;
  const S = v.subgroupSize;
  const weightLoads = Array.from({ length: Math.ceil(taps / S) }, (_, t) => `let w${t} = load_wt(wbase + min(lane + ${t * S}u, ${taps - 1}u));`);
  // Each tap's weight broadcast once, up front: it feeds up to OY output rows.
  const weightTaps = Array.from({ length: taps }, (_, t) => `k[${t}] = subgroupBroadcast(w${Math.floor(t / S)}, ${t % S}u);`);
  // Input row iy0 + r feeds output row oy0 + ry through kernel row r − ry·SH. Component c of
  // acc<ry> is the stride-1 output at column ox0·SW + c, so at stride 2 (C ≤ 2) output column j
  // is component 2j, and the taps are the same text for both strides.
  const uses = Array.from({ length: OY }, (_, ry) => {
    const taps = Array.from({ length: v.kw }, (_, kx) => `acc${ry} += k[kb + ${kx}u] * vec4(seg[${kx}], seg[${kx + 1}], seg[${kx + 2}], seg[${kx + 3}]);`);
    const first = ry === 0 ? '0u' : `${ry}u * p.sh`;
    return `if (r >= ${first} && r < ${first} + ${v.kh}u) {
      let kb = (r - ${first}) * ${v.kw}u;
      ${taps.join('\n      ')}
    }`;
  });
  return /* wgsl */ `
${activationWgsl(v.act)}
${LINEAR_INDEX_WGSL}

// The ${SEG} inputs of row iy from column ix0 on, zero outside the image.
fn load_row(seg: ptr<function, array<f32, ${SEG}>>, plane: u32, iy: i32, ix0: i32) {
  let row_ok = iy >= 0 && iy < i32(p.h);
  let row = plane + u32(clamp(iy, 0, i32(p.h) - 1)) * p.w;
  for (var s = 0u; s < ${SEG}u; s++) {
    let ix = ix0 + i32(s);
    (*seg)[s] = select(0.0, load_x(row + u32(clamp(ix, 0, i32(p.w) - 1))), row_ok && ix >= 0 && ix < i32(p.w));
  }
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // One invocation per ${OY}×C tile. Lanes past the end compute a copy of the last tile and
  // store nothing, so every lane reaches the broadcasts.
  let raw = linear_index(wid, lid, ${WG}u);
  let i = min(raw, p.total - 1u);
  let tx = i % p.tiles_x;
  let ty = (i / p.tiles_x) % p.tiles_y;
  let plane = i / (p.tiles_x * p.tiles_y);   // n · Cout + oc
  let oc = plane % p.cout;
  let n = plane / p.cout;
  let x_plane = (n * p.cin + oc / p.cout_per_cin) * p.h * p.w;
  let wbase = oc * ${taps}u;
  let oy0 = ty * ${OY}u;
  let ox0 = tx * p.tile_cols;
  let iy0 = i32(oy0 * p.sh) - p.pad_h;
  let ix0 = i32(ox0 * p.sw) - p.pad_w;
  ${weightLoads.join('\n  ')}
  var k: array<f32, ${taps}>;
  ${weightTaps.join('\n  ')}
  ${Array.from({ length: OY }, (_, r) => `var acc${r} = vec4(0.0);`).join(' ')}
  var seg: array<f32, ${SEG}>;
  // The loop bounds (${OY - 1 + v.kh} input rows at stride 1, the ${OY}×C stores) come from the
  // uniform so the driver keeps the loops: lavapipe emits every lane-varying load or store as 8
  // branchy scalar accesses, and unrolled (${(OY - 1 + v.kh) * SEG} loads) a 7×7 took 1.5–2.7 s to
  // compile. Each row's ${SEG} loads stay unrolled: looped too, the kernel ran 20 % slower.
  for (var r = 0u; r < p.in_rows; r++) {
    load_row(&seg, x_plane, iy0 + i32(r), ix0);
    ${uses.join('\n    ')}
  }
  if (raw >= p.total) { return; }
  let b = ${v.bias ? 'load_bias(oc)' : '0.0'};
  for (var r = 0u; r < p.tile_rows; r++) {
    let oy = oy0 + r;
    ${Array.from({ length: OY - 1 }, (_, r) => `${r === 0 ? 'var acc = select(acc0, acc1, r == 1u);' : `acc = select(acc, acc${r + 1}, r == ${r + 1}u);`}`).join('\n    ')}
    for (var j = 0u; j < p.tile_cols; j++) {
      if (oy < p.oh && ox0 + j < p.ow) { store_y((plane * p.oh + oy) * p.ow + ox0 + j, activate(acc[j * p.sw] + b)); }
    }
  }
}`;
}

/**
 * The tile width C this kernel takes the conv with (the caller has checked groups == Cin), or 0
 * where it does not (the direct kernel takes it): the policy's tile subgroup size, strides of 1 or
 * 2, and whole subgroups per channel plane at the widest C the stride allows.
 */
export function depthwiseTileColumns(gpu: Gpu, stride: readonly [number, number], out: readonly [number, number]): number {
  const S = gpu.policy.depthwiseTileSubgroup;
  if (!S || stride[0] > 2 || stride[1] > 2) return 0;
  const rows = Math.ceil(out[0] / OY);
  return [4, 2, 1].find((c) => (c - 1) * stride[1] <= OX - 1 && (rows * Math.ceil(out[1] / c)) % S === 0) ?? 0;
}

export function depthwiseConvTiled(
  x: Tensor,
  weight: Tensor,
  opts: { stride: readonly [number, number]; pad: readonly [number, number]; out: readonly [number, number]; bias?: Tensor; act: Activation },
): Tensor {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [oh, ow] = opts.out;
  const [sh, sw] = opts.stride;
  const cols = depthwiseTileColumns(gpuOf(x), opts.stride, opts.out);
  if (!cols) throw new GpuError('depthwiseConvTiled: check depthwiseTileColumns first');
  const y = gpuOf(x).empty([n, cout, oh, ow], floatResult(x, weight), 'conv2d');
  const tilesX = Math.ceil(ow / cols);
  const tilesY = Math.ceil(oh / OY);
  const total = n * cout * tilesX * tilesY;
  const subgroupSize = gpuOf(x).policy.depthwiseTileSubgroup;
  const v: Variant = { kh, kw, bias: !!opts.bias, act: activationChoice(opts.act), subgroupSize };
  gpuOf(x).dispatch({
    label: `conv2d.dw${OY}x${OX}.k${kh}x${kw}.sg${subgroupSize}${v.bias ? '.bias' : ''}.${opts.act}`,
    signature: { ...convSignature({ ...PARAMS, ...activationParamTypes(v.act) }, v.bias), enable: ['subgroups'] },
    body: wgsl(v),
    params: {
      total, cin, h, w, cout, oh, ow, tiles_x: tilesX, tiles_y: tilesY, cout_per_cin: cout / cin, pad_h: opts.pad[0], pad_w: opts.pad[1],
      sh, sw, in_rows: (OY - 1) * sh + kh, tile_rows: OY, tile_cols: cols, ...activationParams(v.act, opts.act),
    },
    bindings: { x, wt: weight, y, ...(opts.bias && { bias: opts.bias }) },
    workgroups: grid1d(total, WG),
    flops: 2 * n * cout * oh * ow * kh * kw,
  });
  return y;
}
