/**
 * Eval-mode BatchNorm as a per-channel affine: y = x·s + t with s = γ/√(var + eps) and
 * t = β − mean·s, folded once on the host (float32, as PyTorch's CPU kernel does) and run by the
 * channel-affine kernel.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { Gpu } from '../gpu/gpu.js';
import { ShapeError } from '../gpu/errors.js';
import { channelAffine } from './channel-affine.js';
import type { Activation } from './wgsl/math.js';

export interface BatchNormParams {
  weight: Float32Array;
  bias: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  eps?: number;
}

export function foldBatchNorm(bn: BatchNormParams): { scale: Float32Array; shift: Float32Array } {
  const c = bn.weight.length;
  for (const [k, v] of Object.entries({ bias: bn.bias, runningMean: bn.runningMean, runningVar: bn.runningVar })) {
    if (v.length !== c) throw new ShapeError(`batchNorm: ${k} has ${v.length} channels, weight has ${c}`);
  }
  const eps = bn.eps ?? 1e-5;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = bn.weight[i] / Math.fround(Math.sqrt(Math.fround(bn.runningVar[i] + eps)));
    shift[i] = bn.bias[i] - Math.fround(bn.runningMean[i] * scale[i]);
  }
  return { scale, shift };
}

/** A BatchNorm folded and uploaded once, applied to NCHW maps. */
export class BatchNorm2d {
  readonly scale: Tensor;
  readonly shift: Tensor;
  constructor(gpu: Gpu, bn: BatchNormParams, label = 'bn') {
    const { scale, shift } = foldBatchNorm(bn);
    this.scale = gpu.upload(scale, [scale.length], 'f32', `${label}.scale`);
    this.shift = gpu.upload(shift, [shift.length], 'f32', `${label}.shift`);
  }
  forward(x: Tensor, act: Activation = 'none'): Tensor {
    if (x.shape.length < 2 || x.shape[1] !== this.scale.size) {
      throw new ShapeError(`batchNorm: x has shape ${JSON.stringify(x.shape)}, expected [N, ${this.scale.size}, ...]`);
    }
    return channelAffine(x, this.scale, { shift: this.shift, act });
  }
  dispose(): void {
    this.scale.dispose();
    this.shift.dispose();
  }
}

export function batchNormRef(x: Float32Array, shape: readonly number[], bn: BatchNormParams): Float32Array {
  const eps = bn.eps ?? 1e-5;
  const c = shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / inner) % c;
    y[i] = ((x[i] - bn.runningMean[ch]) / Math.sqrt(bn.runningVar[ch] + eps)) * bn.weight[ch] + bn.bias[ch];
  }
  return y;
}
