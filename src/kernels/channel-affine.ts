/**
 * Per-channel affine with optional residual and activation, the one kernel behind eval BatchNorm,
 * layer scale + residual add, and the squeeze-excite rescale:
 *   y[i] = act(x[i] · scale[c] + shift[c]) + residual[i],   c = (i / inner) mod channels
 * `inner` is H·W for NCHW maps and 1 for channel-last [.., C] tensors; `channels` is C, or N·C for
 * a per-sample scale (squeeze-excite). Cost: memory bound, 8–12 bytes per element.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkSameShape, checkShape, numel, floatResult } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { activationRef } from './unary.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';

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

export interface ChannelAffineOptions {
  shift?: Tensor;
  residual?: Tensor;
  act?: Activation;
  /** Elements per channel step: H·W for NCHW (default: product of dims after dim 1), 1 for channel-last. */
  inner?: number;
}

export function channelAffine(x: Tensor, scale: Tensor, opts: ChannelAffineOptions = {}): Tensor {
  const op = 'channelAffine';
  const inner = opts.inner ?? numel(x.shape.slice(2));
  const channels = scale.size;
  checkShape(op, 'scale', scale, scale.shape.map(() => null));
  if (!Number.isInteger(x.size / inner) || (x.size / inner) % channels !== 0) {
    throw new ShapeError(`${op}: scale of ${channels} values does not tile x ${JSON.stringify(x.shape)} with inner size ${inner}`);
  }
  if (opts.shift && opts.shift.size !== channels) {
    throw new ShapeError(`${op}: shift has ${opts.shift.size} values, scale has ${channels}`);
  }
  if (opts.residual) checkSameShape(op, 'x', x, 'residual', opts.residual);
  const v: Variant = { shift: !!opts.shift, residual: !!opts.residual, act: opts.act ?? 'none' };
  const y = x.gpu.empty(x.shape, floatResult(x), op);
  x.gpu.dispatch({
    label: `channel_affine${v.shift ? '.shift' : ''}${v.residual ? '.residual' : ''}.${v.act}`,
    signature: signature(v),
    body: wgsl(v),
    params: { n: x.size, inner, channels },
    bindings: { x, scale, y, ...(opts.shift && { shift: opts.shift }), ...(opts.residual && { residual: opts.residual }) },
    workgroups: grid1d(x.size, WG),
  });
  return y;
}

export function channelAffineRef(
  x: Float32Array,
  inner: number,
  scale: Float32Array,
  shift?: Float32Array,
  residual?: Float32Array,
  act: Activation = 'none',
): Float32Array {
  const f = activationRef(act);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % scale.length;
    let v = Math.fround(x[i] * scale[c]);
    if (shift) v = Math.fround(v + shift[c]);
    v = f(v);
    if (residual) v += residual[i];
    y[i] = v;
  }
  return y;
}
