/**
 * Depthwise (and ×k expanding) stride-1 conv, the 3×3 / 7×7 / 1×11 token mixers of MobileCLIP.
 * On lavapipe every lane-varying load is a gather, and gathers, not FMAs, bound these kernels; so
 * each invocation owns a 4×4 output tile, reading each input row segment once for up to four
 * output rows (a 7×7: 10 rows × 10 loads for 16 outputs, against 7 × 10 for 4 in the direct
 * kernel). Lane l loads weights l, l + S, ... and the subgroup shares them by broadcast instead of
 * every lane gathering all KH·KW; so a subgroup must never straddle two channel planes.
 * Output channel oc reads input channel ⌊oc / (Cout/Cin)⌋. Reference: conv2dRef (conv2d.ts).
 * Cost: 2·N·Cout·OH·OW·KH·KW flops; (OY−1+KH)·(OX−1+KW) input gathers per 16 outputs.
 */
import { floatResult } from '../gpu/shape.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Gpu } from '../gpu/gpu.js';
import { GpuError } from '../gpu/errors.js';
import { DEPTHWISE_TILE_WORKGROUP } from '../gpu/policy.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { convSignature } from './wgsl/conv-signature.js';

const WG = DEPTHWISE_TILE_WORKGROUP;
/** Output tile per invocation: OY rows × OX columns. */
const OY = 4;
const OX = 4;

const PARAMS = {
  total: 'u32', cin: 'u32', h: 'u32', w: 'u32', cout: 'u32', oh: 'u32', ow: 'u32',
  tiles_x: 'u32', tiles_y: 'u32', cout_per_cin: 'u32', pad_h: 'i32', pad_w: 'i32',
  in_rows: 'u32', tile_rows: 'u32', tile_cols: 'u32',
} as const;

interface Variant {
  kh: number;
  kw: number;
  bias: boolean;
  act: Activation;
  subgroupSize: number;
}

function wgsl(v: Variant): string {
  const SEG = OX - 1 + v.kw;
  const taps = v.kh * v.kw;
  const S = v.subgroupSize;
  const weightLoads = Array.from({ length: Math.ceil(taps / S) }, (_, t) => `let w${t} = load_wt(wbase + min(lane + ${t * S}u, ${taps - 1}u));`);
  // Each tap's weight broadcast once, up front: it feeds up to OY output rows.
  const weightTaps = Array.from({ length: taps }, (_, t) => `k[${t}] = subgroupBroadcast(w${Math.floor(t / S)}, ${t % S}u);`);
  // Input row iy0 + r feeds output row oy0 + ry through kernel row r − ry.
  const uses = Array.from({ length: OY }, (_, ry) => {
    const row = Array.from({ length: v.kw }, (_, kx) => `acc${ry} += k[kb + ${kx}u] * vec4(seg[${kx}], seg[${kx + 1}], seg[${kx + 2}], seg[${kx + 3}]);`);
    return `if (r >= ${ry}u && r < ${ry + v.kh}u) {
      let kb = (r - ${ry}u) * ${v.kw}u;
      ${row.join('\n      ')}
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
  // One invocation per ${OY}×${OX} tile. Lanes past the end compute a copy of the last tile and
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
  let ox0 = tx * ${OX}u;
  let iy0 = i32(oy0) - p.pad_h;
  let ix0 = i32(ox0) - p.pad_w;
  ${weightLoads.join('\n  ')}
  var k: array<f32, ${taps}>;
  ${weightTaps.join('\n  ')}
  ${Array.from({ length: OY }, (_, r) => `var acc${r} = vec4(0.0);`).join(' ')}
  var seg: array<f32, ${SEG}>;
  // The loop bounds (${OY - 1 + v.kh} input rows, the ${OY}×${OX} stores) come from the
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
      if (oy < p.oh && ox0 + j < p.ow) { store_y((plane * p.oh + oy) * p.ow + ox0 + j, activate(acc[j] + b)); }
    }
  }
}`;
}

/**
 * Whether this kernel takes the conv (the caller has checked groups == Cin): the policy's tile
 * subgroup size, stride 1, and whole subgroups per channel plane. The direct kernel takes the rest.
 */
export function depthwiseTileFits(gpu: Gpu, stride: [number, number], out: [number, number]): boolean {
  const S = gpu.policy.depthwiseTileSubgroup;
  const perPlane = Math.ceil(out[0] / OY) * Math.ceil(out[1] / OX);
  return S > 0 && perPlane % S === 0 && stride[0] === 1 && stride[1] === 1;
}

export function depthwiseConvTiled(
  x: Tensor,
  weight: Tensor,
  opts: { pad: [number, number]; out: [number, number]; bias?: Tensor; act: Activation },
): Tensor {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [oh, ow] = opts.out;
  const y = x.gpu.empty([n, cout, oh, ow], floatResult(x, weight), 'conv2d');
  const tilesX = Math.ceil(ow / OX);
  const tilesY = Math.ceil(oh / OY);
  const total = n * cout * tilesX * tilesY;
  const subgroupSize = x.gpu.policy.depthwiseTileSubgroup;
  if (!depthwiseTileFits(x.gpu, [1, 1], opts.out)) throw new GpuError('depthwiseConvTiled: check depthwiseTileFits first');
  const v: Variant = { kh, kw, bias: !!opts.bias, act: opts.act, subgroupSize };
  x.gpu.dispatch({
    label: `conv2d.dw${OY}x${OX}.k${kh}x${kw}.sg${subgroupSize}${v.bias ? '.bias' : ''}.${v.act}`,
    signature: { ...convSignature(PARAMS, v.bias), enable: ['subgroups'] },
    body: wgsl(v),
    params: { total, cin, h, w, cout, oh, ow, tiles_x: tilesX, tiles_y: tilesY, cout_per_cin: cout / cin, pad_h: opts.pad[0], pad_w: opts.pad[1], in_rows: OY - 1 + kh, tile_rows: OY, tile_cols: OX },
    bindings: { x, wt: weight, y, ...(opts.bias && { bias: opts.bias }) },
    workgroups: grid1d(total, WG),
    flops: 2 * n * cout * oh * ow * kh * kw,
  });
  return y;
}
