/**
 * Per-channel affine with optional residual and activation, the one op behind eval BatchNorm,
 * layer scale + residual add, and the squeeze-excite rescale:
 *   y[i] = act(x[i] · scale[c] + shift[c]) + residual[i],   c = (i / inner) mod channels
 * `inner` is H·W for NCHW maps and 1 for channel-last [.., C] tensors; `channels` is C, or N·C for
 * a per-sample scale (squeeze-excite). Cost: memory bound, 8–12 bytes per element.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkSameShape, checkShape, numel } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { activationRef } from './activation.js';
import type { Activation, ChannelAffineOptions } from '../runtime/backend-ops.js';

export type { ChannelAffineOptions, ChannelAffineSpec } from '../runtime/backend-ops.js';
import { backendOf } from './backend-check.js';

export function channelAffine(x: Tensor, scale: Tensor, opts: ChannelAffineOptions = {}): Tensor {
  const op = 'channelAffine';
  const backend = backendOf(op, x, scale, opts.shift, opts.residual);
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
  return backend.ops.channelAffine(x, scale, { ...opts, inner });
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
