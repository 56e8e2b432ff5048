/**
 * ConvFFN (spec §2.7): fc2(GELU(fc1(BN(dwconv(x))))). The BatchNorm is folded into the depthwise
 * weight at load (exact up to float32 rounding); fc1 carries GELU in its epilogue, and fc2 the
 * caller's layer scale and residual add, so the block's residual costs no extra pass.
 */
import type { Tensor } from '../runtime/tensor.js';
import { conv2d, pointwiseConv } from '../ops/index.js';
import { linear } from '../ops/index.js';
import { absorbBn } from './bn-fold.js';
import type { WeightStore } from './weights.js';

export class ConvFFN {
  private readonly dw: Tensor;
  private readonly dwBias: Tensor;
  private readonly fc1: Tensor;
  private readonly fc1Bias: Tensor;
  private readonly fc2: Tensor;
  private readonly fc2Bias: Tensor;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: { dim: number; hidden: number; kernel: [number, number] },
  ) {
    const { dim, hidden, kernel } = cfg;
    const w = store.host(`${prefix}.conv.conv.weight`, [dim, 1, ...kernel]);
    const folded = absorbBn(w, [dim, 1, ...kernel], store.batchNorm(`${prefix}.conv.bn`, dim), 'eval', `${prefix}.conv`);
    this.dw = store.upload(`${prefix}.conv (BN folded)`, folded.weight, [dim, 1, ...kernel]);
    this.dwBias = store.upload(`${prefix}.conv.bn (shift)`, folded.bias, [dim]);
    this.fc1 = store.take(`${prefix}.fc1.weight`, [hidden, dim, 1, 1]);
    this.fc1Bias = store.take(`${prefix}.fc1.bias`, [hidden]);
    this.fc2 = store.take(`${prefix}.fc2.weight`, [dim, hidden, 1, 1]);
    this.fc2Bias = store.take(`${prefix}.fc2.bias`, [dim]);
  }

  /** The depthwise conv with its folded BatchNorm: NCHW → NCHW. */
  depthwise(x: Tensor): Tensor {
    const [kh, kw] = this.cfg.kernel;
    return conv2d(x, this.dw, { bias: this.dwBias, groups: this.cfg.dim, padding: [kh >> 1, kw >> 1] });
  }

  /** residual + scale ⊙ ConvFFN(x) when both are given (the blocks' `x + ls ⊙ ffn(x)`). NCHW. */
  forward(x: Tensor, epi: { scale?: Tensor; residual?: Tensor } = {}): Tensor {
    return x.backend.scope(() => pointwiseConv(this.hidden(x), this.fc2, { bias: this.fc2Bias, scale: epi.scale, residual: epi.residual }));
  }

  /** GELU(fc1(depthwise(x))), the depthwise output freed as soon as fc1 is recorded (it is the size of x). */
  private hidden(x: Tensor): Tensor {
    return x.backend.scope(() => pointwiseConv(this.depthwise(x), this.fc1, { bias: this.fc1Bias, act: 'gelu' }));
  }

  /**
   * fc1 → GELU → fc2 (+ scale, residual) on channel-last tokens [.., C]: the 1×1 convs as linears.
   * The text tower's sequences (77 positions, not a multiple of 4) run faster this way than as a
   * [C, L] map.
   */
  pointwiseTokens(t: Tensor, epi: { scale?: Tensor; residual?: Tensor } = {}): Tensor {
    const { dim, hidden } = this.cfg;
    return t.backend.scope(() => {
      const h = linear(t, this.fc1.reshape([hidden, dim]), { bias: this.fc1Bias, act: 'gelu' });
      return linear(h, this.fc2.reshape([dim, hidden]), { bias: this.fc2Bias, scale: epi.scale, residual: epi.residual });
    });
  }
}
