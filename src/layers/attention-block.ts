/**
 * The MCi attention stage block (spec §2.9):
 *   x = x + ls1 ⊙ MHSA(norm(x));  x = x + ls2 ⊙ ConvFFN(x)   (norm: BN, or LayerNorm2d in MCi3/4)
 * MHSA works on the tokens of the NCHW map (n = h·W + w): the map is transposed to [B, N, C] for
 * the bias-free qkv projection and the fused attention kernel; the output projection reads the
 * [B, N, C] result as the "nk" operand, so it lands back in NCHW with its bias, ls1 and the
 * residual fused into the GEMM epilogue.
 */
import type { Tensor } from '../runtime/tensor.js';
import { attention } from '../ops/index.js';
import { BatchNorm2d } from './batch-norm.js';
import { layerNorm } from '../ops/index.js';
import { gemm, linear } from '../ops/index.js';
import { transposeLast2 } from '../ops/index.js';
import { ConvFFN } from './conv-ffn.js';
import type { WeightStore } from './weights.js';

export const MHSA_HEAD_DIM = 32;

/** The norm before the attention: BatchNorm2d (v1, MCi0-2), or LayerNorm over each pixel's channels (MCi3/4). */
export type AttentionNorm = 'batchnorm' | { layernorm: { eps: number } };

export class AttentionBlock {
  private readonly norm: BatchNorm2d | { weight: Tensor; bias: Tensor; eps: number };
  private readonly qkv: Tensor;
  private readonly proj: Tensor;
  private readonly projBias: Tensor;
  private readonly ls1: Tensor;
  private readonly ls2: Tensor;
  private readonly ffn: ConvFFN;
  readonly heads: number;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: { dim: number; hidden: number; norm?: AttentionNorm },
  ) {
    const { dim } = cfg;
    this.heads = dim / MHSA_HEAD_DIM;
    const norm = cfg.norm ?? 'batchnorm';
    if (norm === 'batchnorm') {
      this.norm = new BatchNorm2d(store, `${prefix}.norm`, dim);
    } else {
      this.norm = { weight: store.take(`${prefix}.norm.weight`, [dim]), bias: store.take(`${prefix}.norm.bias`, [dim]), eps: norm.layernorm.eps };
    }
    this.qkv = store.take(`${prefix}.token_mixer.qkv.weight`, [3 * dim, dim]);
    this.proj = store.take(`${prefix}.token_mixer.proj.weight`, [dim, dim]);
    this.projBias = store.take(`${prefix}.token_mixer.proj.bias`, [dim]);
    this.ls1 = store.take(`${prefix}.layer_scale_1`, [dim, 1, 1]).reshape([dim]);
    this.ls2 = store.take(`${prefix}.layer_scale_2`, [dim, 1, 1]).reshape([dim]);
    this.ffn = new ConvFFN(store, `${prefix}.convffn`, { dim, hidden: cfg.hidden, kernel: [7, 7] });
  }

  forward(x: Tensor): Tensor {
    return x.backend.scope(() => {
      const x1 = this.attend(x);
      return this.ffn.forward(x1, { scale: this.ls2, residual: x1 });
    });
  }

  /**
   * x + ls1 ⊙ proj(MHSA(norm(x))), [B, C, H, W]. Nested scopes free each temporary once the next
   * step is recorded (the normed map, the tokens, qkv, the heads), as the FFN after it needs none.
   */
  private attend(x: Tensor): Tensor {
    const [b, c, h, w] = x.shape;
    const n = h * w;
    const backend = x.backend;
    return backend.scope(() => {
      const qkv = backend.scope(() => linear(this.tokens(x), this.qkv)); // [B, N, 3C]
      const o = backend.scope(() => attention(qkv, { heads: this.heads, scale: MHSA_HEAD_DIM ** -0.5 })); // [B, N, C]
      return gemm({
        a: this.proj, b: o, bLayout: 'nk', M: c, N: n, K: c, batch: b, strideA: 0, strideB: n * c,
        outShape: [b, c, h, w], bias: this.projBias, biasAlong: 'm', scale: this.ls1, scaleAlong: 'm', residual: x, label: 'mhsa.proj',
      });
    });
  }

  /** norm(x) as tokens [B, N, C]: LayerNorm2d is a plain LayerNorm after the transpose the attention needs anyway. */
  private tokens(x: Tensor): Tensor {
    const [b, c, h, w] = x.shape;
    const norm = this.norm;
    return x.backend.scope(() =>
      norm instanceof BatchNorm2d
        ? transposeLast2(norm.forward(x).reshape([b, c, h * w]))
        : layerNorm(transposeLast2(x.reshape([b, c, h * w])), norm.weight, norm.bias, norm.eps),
    );
  }
}
