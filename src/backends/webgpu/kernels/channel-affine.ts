/**
 * Per-channel affine with optional residual and activation, the one kernel behind eval BatchNorm,
 * layer scale + residual add, and the squeeze-excite rescale:
 *   y[i] = act(x[i] · scale[c] + shift[c]) + residual[i],   c = (i / inner) mod channels
 * `inner` is H·W for NCHW maps and 1 for channel-last [.., C] tensors; `channels` is C, or N·C for
 * a per-sample scale (squeeze-excite). Cost: memory bound, 8–12 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 256;

interface Variant {
  shift: boolean;
  residual: boolean;
  act: Activation;
}

const signature = (v: Variant): KernelSignature => ({
  params: { n: 'u32', inner: 'u32', channels: 'u32' },
  bindings: { x: input(), scale: input(), y: output(), ...(v.shift && { shift: input() }), ...(v.residual && { residual: input() }) },
});

const wgsl = (v: Variant) => /* wgsl */ `
${activationWgsl(v.act)}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.n) { return; }
  let c = (i / p.inner) % p.channels;
  var v = load_x(i) * load_scale(c)${v.shift ? ' + load_shift(c)' : ''};
  v = activate(v);
  ${v.residual ? 'v = v + load_residual(i);' : ''}
  store_y(i, v);
}`;

import type { ChannelAffineSpec } from '../../../runtime/backend-ops.js';

export function channelAffine(x: Tensor, scale: Tensor, opts: ChannelAffineSpec): Tensor {
  const op = 'channelAffine';
  const { inner } = opts;
  const channels = scale.size;
  const v: Variant = { shift: !!opts.shift, residual: !!opts.residual, act: opts.act ?? 'none' };
  const y = gpuOf(x).empty(x.shape, floatResult(x), op);
  gpuOf(x).dispatch({
    label: `channel_affine${v.shift ? '.shift' : ''}${v.residual ? '.residual' : ''}.${v.act}`,
    signature: signature(v),
    body: wgsl(v),
    params: { n: x.size, inner, channels },
    bindings: { x, scale, y, ...(opts.shift && { shift: opts.shift }), ...(opts.residual && { residual: opts.residual }) },
    workgroups: grid1d(x.size, WG),
  });
  return y;
}
