/**
 * Pre-norm TransformerEncoder (spec §2.11), the text towers' and the ViT's layer:
 *   x = x + out_proj(MHA(LN1(x)))
 *   x = x + fc2(GELU(fc1(LN2(x))))
 * LayerNorms in float32; qkv has a bias, q is scaled by head_dim^-0.5 before q·kᵀ; the residual
 * adds ride in the GEMM epilogues of out_proj and fc2. Keys: pre_norm_mha.{0,1}, pre_norm_ffn.{0,1,4}.
 */
import type { Tensor } from '../runtime/tensor.js';
import { attention } from '../ops/index.js';
import { gatherArgmax } from '../ops/index.js';
import { layerNorm } from '../ops/index.js';
import { linear } from '../ops/index.js';
import type { WeightStore } from './weights.js';

export interface TransformerConfig {
  dim: number;
  heads: number;
  ffn: number;
  causal: boolean;
  /** LayerNorm epsilon (default 1e-5; timm's ViTs without a norm_layer use 1e-6). */
  eps?: number;
}

export class TransformerEncoder {
  private readonly ln1: [Tensor, Tensor];
  private readonly qkv: [Tensor, Tensor];
  private readonly out: [Tensor, Tensor];
  private readonly ln2: [Tensor, Tensor];
  private readonly fc1: [Tensor, Tensor];
  private readonly fc2: [Tensor, Tensor];

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: TransformerConfig,
  ) {
    const { dim, ffn } = cfg;
    if (dim % cfg.heads !== 0) throw new Error(`${prefix}: width ${dim} does not split into ${cfg.heads} heads`);
    const p = prefix;
    const wb = (k: string, out: number, inp: number | null): [Tensor, Tensor] => [
      store.take(`${p}.${k}.weight`, inp === null ? [out] : [out, inp]),
      store.take(`${p}.${k}.bias`, [out]),
    ];
    this.ln1 = wb('pre_norm_mha.0', dim, null);
    this.qkv = wb('pre_norm_mha.1.qkv_proj', 3 * dim, dim);
    this.out = wb('pre_norm_mha.1.out_proj', dim, dim);
    this.ln2 = wb('pre_norm_ffn.0', dim, null);
    this.fc1 = wb('pre_norm_ffn.1', ffn, dim);
    this.fc2 = wb('pre_norm_ffn.4', dim, ffn);
  }

  /** x [B, L, D] → [B, L, D] */
  forward(x: Tensor): Tensor {
    return x.backend.scope(() => this.feedForward(x.backend.scope(() => linear(this.attend(x), this.out[0], { bias: this.out[1], residual: x }))));
  }

  /**
   * The layer's output at each sequence's pooled row only (the first argmax of `ids` [B, L], the
   * text towers' end of text): x [B, L, D] → [B, D]. Keys and values still come from every row;
   * out_proj and the FFN run for that one row, which is all the pooled features depend on (an
   * exact shortcut for a tower's last layer).
   */
  forwardPooledRow(x: Tensor, ids: Tensor): Tensor {
    const attended = () => linear(gatherArgmax(this.attend(x), ids), this.out[0], { bias: this.out[1], residual: gatherArgmax(x, ids) });
    return x.backend.scope(() => this.feedForward(x.backend.scope(attended)));
  }

  /**
   * MHA(LN1(x)) before out_proj: [B, L, D]. Each step runs in its own scope, so the layer holds one
   * step's temporaries at a time, as when they were freed by hand.
   */
  private attend(x: Tensor): Tensor {
    const { heads, dim, causal } = this.cfg;
    const backend = x.backend;
    return backend.scope(() => {
      const qkv = backend.scope(() => linear(layerNorm(x, ...this.ln1, this.cfg.eps ?? 1e-5), this.qkv[0], { bias: this.qkv[1] }));
      return attention(qkv, { heads, scale: (dim / heads) ** -0.5, causal });
    });
  }

  /** x1 + fc2(GELU(fc1(LN2(x1)))). */
  private feedForward(x1: Tensor): Tensor {
    const backend = x1.backend;
    return backend.scope(() => {
      const f = backend.scope(() => linear(layerNorm(x1, ...this.ln2, this.cfg.eps ?? 1e-5), this.fc1[0], { bias: this.fc1[1], act: 'gelu' }));
      return linear(f, this.fc2[0], { bias: this.fc2[1], residual: x1 });
    });
  }
}
