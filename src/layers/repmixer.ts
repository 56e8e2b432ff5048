/**
 * RepMixer and RepMixerBlock (spec §2.6; the text tower's 1×11 variant in §2.11). Fused, the mixer
 * is one depthwise conv, x + ls_m ⊙ (mixer(x) − norm(x)) having been folded into its kernel.
 */
import type { Tensor } from '../runtime/tensor.js';
import { conv2d } from '../ops/index.js';
import { transposeLast2 } from '../ops/index.js';
import { ConvFFN } from './conv-ffn.js';
import { mobileOneTrainingKeys } from './mobileone-block.js';
import type { KeyShapes, WeightStore } from './weights.js';

export class RepMixer {
  private readonly weight: Tensor;
  private readonly bias: Tensor;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: { dim: number; kernel: [number, number] },
  ) {
    const { dim, kernel } = cfg;
    const branch = (skip: boolean, scale: boolean, convBranches: number) =>
      mobileOneTrainingKeys({ cin: dim, cout: dim, kernel, stride: 1, padding: [0, 0], groups: dim, skip, scale, convBranches, act: 'none' });
    const rel = (p: string, keys: KeyShapes): KeyShapes => keys.map(([k, s]) => [`${p}.${k}`, s] as const);
    const shape = [dim, 1, ...kernel];
    ({ weight: this.weight, bias: this.bias } = store.fusedConvTensors(prefix, 'reparam_conv', shape, [
      ['layer_scale', [dim, 1, 1]],
      ...rel('norm', branch(true, false, 0)),
      // The scale branch exists only when the kernel's first dim is > 1: the text (1×11) mixer has none.
      ...rel('mixer', branch(true, kernel[0] > 1, 1)),
    ]));
  }

  forward(x: Tensor): Tensor {
    const [kh, kw] = this.cfg.kernel;
    return conv2d(x, this.weight, { bias: this.bias, groups: this.cfg.dim, padding: [kh >> 1, kw >> 1] });
  }
}

/** x = RepMixer(x); x = x + ls ⊙ ConvFFN(x). */
export class RepMixerBlock {
  private readonly mixer: RepMixer;
  private readonly ffn: ConvFFN;
  private readonly layerScale: Tensor;

  constructor(store: WeightStore, prefix: string, cfg: { dim: number; hidden: number; kernel: [number, number]; ffnKernel: [number, number] }) {
    this.mixer = new RepMixer(store, `${prefix}.token_mixer`, { dim: cfg.dim, kernel: cfg.kernel });
    this.ffn = new ConvFFN(store, `${prefix}.convffn`, { dim: cfg.dim, hidden: cfg.hidden, kernel: cfg.ffnKernel });
    this.layerScale = store.take(`${prefix}.layer_scale`, [cfg.dim, 1, 1]).reshape([cfg.dim]);
  }

  forward(x: Tensor): Tensor {
    return x.backend.scope(() => {
      const m = this.mixer.forward(x);
      return this.ffn.forward(m, { scale: this.layerScale, residual: m });
    });
  }

  /**
   * The same block on a sequence in channel-last layout [B, L, C] (the text tower's mct blocks):
   * the depthwise convs run on the [B, C, 1, L] map, the pointwise ones as linears on tokens.
   */
  forwardTokens(x: Tensor): Tensor {
    const [b, l, c] = x.shape;
    const backend = x.backend;
    return backend.scope(() => {
      // Nested scopes free each map once its tokens exist, as the pointwise part needs only those.
      const { mTokens, dTokens } = backend.scope(() => {
        const m = backend.scope(() => this.mixer.forward(transposeLast2(x).reshape([b, c, 1, l])));
        const dTokens = backend.scope(() => transposeLast2(this.ffn.depthwise(m).reshape([b, c, l])));
        return { mTokens: transposeLast2(m.reshape([b, c, l])), dTokens };
      });
      return this.ffn.pointwiseTokens(dTokens, { scale: this.layerScale, residual: mTokens });
    });
  }
}
