/**
 * VisionTransformer, MobileCLIP-B's image encoder (spec §2.12):
 *   stem: conv4×4/s4 PADDING 1 → BN → GELU, conv2×2/s2 → BN → GELU, conv2×2/s2 (+bias)
 *   tokens = [cls, patches + pos]  (pos interpolated along the flat sequence when not 196)
 *   12 pre-norm TransformerEncoders, post norm, cls · classifier.proj
 * The stem BatchNorms are folded into their convs at load. Keys under `image_encoder.model.`.
 */
import type { Tensor } from '../gpu/tensor.js';
import { ShapeError } from '../gpu/errors.js';
import { checkRank, fmtShape } from '../gpu/shape.js';
import { conv2d } from '../kernels/conv2d.js';
import { foldBatchNorm } from '../kernels/batch-norm.js';
import { layerNorm } from '../kernels/layer-norm.js';
import { forwardInSlices } from './batch-chunks.js';
import { matmul } from '../kernels/matmul.js';
import { patchTokens, selectToken } from '../kernels/tokens.js';
import { PositionalTable } from '../layers/interpolate-positions.js';
import { TransformerEncoder } from '../layers/transformer-encoder.js';
import type { WeightStore } from '../layers/weights.js';
import { type Capture, CaptureScope } from './capture.js';
import type { VitConfig } from './vit-config.js';

interface StemConv {
  weight: Tensor;
  bias: Tensor;
  stride: number;
  padding: number;
  gelu: boolean;
}

export class VisionTransformer {
  private readonly stem: StemConv[];
  private readonly cls: Tensor;
  private readonly positions: PositionalTable;
  private readonly layers: TransformerEncoder[] = [];
  private readonly postNorm: [Tensor, Tensor];
  private readonly proj: Tensor;

  constructor(
    store: WeightStore,
    readonly cfg: VitConfig,
    readonly prefix = 'image_encoder.model',
  ) {
    const { dim, stemWidth: s } = cfg;
    const p = prefix;
    const convBn = (i: number, cin: number, k: number, stride: number, padding: number): StemConv => {
      const at = `${p}.patch_emb.${i}.block`;
      const w = store.host(`${at}.conv.weight`, [s, cin, k, k]);
      const bn = (key: string) => store.host(`${at}.norm.${key}`, [s]);
      const { scale, shift } = foldBatchNorm({ weight: bn('weight'), bias: bn('bias'), runningMean: bn('running_mean'), runningVar: bn('running_var') });
      const per = cin * k * k;
      const folded = Float32Array.from(w, (v, j) => v * scale[Math.floor(j / per)]);
      return { weight: store.upload(`${at}.conv (BN folded)`, folded, [s, cin, k, k]), bias: store.upload(`${at}.norm (shift)`, shift, [s]), stride, padding, gelu: true };
    };
    this.stem = [
      convBn(0, 3, 4, 4, 1),
      convBn(1, s, 2, 2, 0),
      {
        weight: store.take(`${p}.patch_emb.2.block.conv.weight`, [dim, s, 2, 2]),
        bias: store.take(`${p}.patch_emb.2.block.conv.bias`, [dim]),
        stride: 2,
        padding: 0,
        gelu: false,
      },
    ];
    this.cls = store.take(`${p}.cls_token`, [1, 1, dim]);
    const posKey = `${p}.pos_embed.pos_embed.pos_embed`;
    this.positions = new PositionalTable(store, posKey, store.host(posKey, [1, 1, cfg.positions, dim]), cfg.positions, dim);
    const ffn = Math.ceil((dim * cfg.ffnMultiplier) / 16) * 16;
    for (let i = 0; i < cfg.layers; i++) this.layers.push(new TransformerEncoder(store, `${p}.transformer.${i}`, { dim, heads: cfg.heads, ffn, causal: false }));
    this.postNorm = [store.take(`${p}.post_transformer_norm.weight`, [dim]), store.take(`${p}.post_transformer_norm.bias`, [dim])];
    this.proj = store.take(`${p}.classifier.proj`, [dim, cfg.embedDim]);
  }

  /**
   * images [B, 3, H, W] in [0, 1] → features [B, embedDim] (not normalised). Batches whose
   * activations would pass the adapter's binding limit run in slices.
   */
  forward(images: Tensor, capture?: Capture): Tensor {
    const [, c, h, w] = checkRank('VisionTransformer', 'images', images, 4);
    if (c !== 3) throw new ShapeError(`VisionTransformer: images ${fmtShape(images.shape)} must have 3 channels (RGB), NCHW`);
    if (h < 16 || w < 16) throw new ShapeError(`VisionTransformer: images ${fmtShape(images.shape)} are smaller than one 16×16 patch`);
    return forwardInSlices(images, 4 * this.largestActivation(h, w), (x) => this.forwardBatch(x, capture));
  }

  /** Elements of the largest activation one image of H×W makes (image, stem convs and their im2col, blocks). */
  largestActivation(h: number, w: number): number {
    const { dim, heads, stemWidth } = this.cfg;
    const pixels = (stride: number) => Math.ceil(h / stride) * Math.ceil(w / stride);
    const n = pixels(16) + 1;
    const ffn = Math.ceil((dim * this.cfg.ffnMultiplier) / 16) * 16;
    return Math.max(3 * h * w, stemWidth * pixels(4), 4 * stemWidth * pixels(8), 4 * stemWidth * pixels(16), dim * pixels(16), n * Math.max(ffn, 3 * dim), heads * n * n);
  }

  private forwardBatch(images: Tensor, capture?: Capture): Tensor {
    const scope = new CaptureScope(capture, images);
    let x = images;
    for (const s of this.stem) {
      const y = conv2d(x, s.weight, { bias: s.bias, stride: s.stride, padding: s.padding, act: s.gelu ? 'gelu' : 'none' });
      scope.release(x);
      x = y;
    }
    scope.emit('image.patch_emb', x);
    const [, , gh, gw] = x.shape;
    let t = patchTokens(x, this.positions.forLength(gh * gw), this.cls);
    scope.release(x);
    scope.emit('image.embedding', t);
    this.layers.forEach((layer, i) => {
      const y = layer.forward(t);
      scope.release(t);
      t = y;
      scope.emit(`image.layer.${i}`, t);
    });
    const normed = layerNorm(t, ...this.postNorm);
    scope.release(t);
    scope.emit('image.post_transformer_norm', normed);
    const cls = selectToken(normed, 0);
    scope.release(normed);
    const features = matmul(cls, this.proj);
    cls.dispose();
    return features;
  }
}
