/**
 * The two squeeze-excite modules (spec §2.3), the same math under different names and widths:
 *  - MobileOne `SEBlock` (conv_exp): keys `se.reduce`, `se.expand`, r = int(C·0.0625);
 *  - timm `SqueezeExcite` (SE down-samplers): keys `se.fc1`, `se.fc2`, r = make_divisible(C/4, 8).
 */
import type { Tensor } from '../runtime/tensor.js';
import { squeezeExcite } from '../ops/index.js';
import type { Activation } from '../ops/index.js';
import type { WeightStore } from './weights.js';

export type SeKind = 'mobileone' | 'timm';

/** timm's make_divisible(v, 8, round_limit=0): nearest multiple of 8, halves up, at least 8. */
export const makeDivisible8 = (v: number): number => Math.max(8, Math.floor((v + 4) / 8) * 8);

export const seReduced = (kind: SeKind, c: number): number => (kind === 'mobileone' ? Math.floor(c * 0.0625) : makeDivisible8(c * 0.25));

export class SqueezeExcite {
  private readonly w: { reduceWeight: Tensor; reduceBias: Tensor; expandWeight: Tensor; expandBias: Tensor };

  constructor(store: WeightStore, prefix: string, channels: number, kind: SeKind) {
    const r = seReduced(kind, channels);
    const [a, b] = kind === 'mobileone' ? ['reduce', 'expand'] : ['fc1', 'fc2'];
    this.w = {
      reduceWeight: store.take(`${prefix}.${a}.weight`, [r, channels, 1, 1]),
      reduceBias: store.take(`${prefix}.${a}.bias`, [r]),
      expandWeight: store.take(`${prefix}.${b}.weight`, [channels, r, 1, 1]),
      expandBias: store.take(`${prefix}.${b}.bias`, [channels]),
    };
  }

  /** x · gate, then `act` (the block's activation comes after the SE). */
  forward(x: Tensor, act: Activation): Tensor {
    return squeezeExcite(x, this.w, act);
  }
}
