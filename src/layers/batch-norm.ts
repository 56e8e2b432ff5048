/**
 * BatchNorm2d in eval mode where no conv precedes it to absorb it (the attention block's norm):
 * the per-channel affine of bn-fold.ts on the channel-affine kernel, its scale and shift stored
 * in the weight store's dtype. Keys: P.{weight, bias, running_mean, running_var}.
 */
import type { Tensor } from '../runtime/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { channelAffine } from '../ops/index.js';
import type { Activation } from '../ops/index.js';
import { bnAffine } from './bn-fold.js';
import type { WeightStore } from './weights.js';

export class BatchNorm2d {
  readonly scale: Tensor;
  readonly shift: Tensor;

  constructor(store: WeightStore, readonly prefix: string, channels: number, eps = 1e-5) {
    const { scale, shift } = bnAffine({ ...store.batchNorm(prefix, channels), eps }, 'eval', prefix);
    this.scale = store.upload(`${prefix} (scale)`, scale, [channels]);
    this.shift = store.upload(`${prefix} (shift)`, shift, [channels]);
  }

  /** [N, C, ...] → the same shape, with `act` fused. */
  forward(x: Tensor, act: Activation = 'none'): Tensor {
    if (x.shape.length < 2 || x.shape[1] !== this.scale.size) {
      throw new ShapeError(`${this.prefix}: x has shape ${JSON.stringify(x.shape)}, expected [N, ${this.scale.size}, ...]`);
    }
    return channelAffine(x, this.scale, { shift: this.shift, act });
  }
}

/** The reference: (x − mean)/√(var + eps)·γ + β in float64, channels along dim 1. */
export function batchNormRef(x: Float32Array, shape: readonly number[], bn: { weight: Float32Array; bias: Float32Array; runningMean: Float32Array; runningVar: Float32Array; eps?: number }): Float32Array {
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
