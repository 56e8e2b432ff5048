/**
 * VisionTransformer, MobileCLIP-B's image encoder (spec §2.12), and timm's ViTs of MobileCLIP2:
 *   stem: conv4×4/s4 (padding 1 Apple, 0 timm) → BN → GELU, conv2×2/s2 → BN → GELU, conv2×2/s2 (+bias)
 *         or, for ViT-L/14, one conv p×p/s p without bias (`patch_emb.proj`)
 *   tokens = [cls, patches + pos]  (Apple's: pos interpolated along the flat sequence when its size
 *            differs; timm's: the table resampled once at load to the grid of the input size, as
 *            open_clip's force_image_size does; a table with a class-token row adds that row to the
 *            class token, folded at load)
 *   [norm_pre], N pre-norm TransformerEncoders, post norm, cls · classifier.proj (+ classifier.bias)
 * The stem BatchNorms are folded into their convs at load. Keys under `image_encoder.model.`.
 */
import type { Tensor } from '../runtime/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { checkRank, fmtShape } from '../runtime/shape.js';
import { conv2d } from '../ops/index.js';
import { absorbBn } from '../layers/bn-fold.js';
import { layerNorm } from '../ops/index.js';
import { forwardInSlices } from './batch-chunks.js';
import { linear } from '../ops/index.js';
import { patchTokens, selectToken } from '../ops/index.js';
import { transposeLast2 } from '../ops/index.js';
import { PositionalTable } from '../layers/interpolate-positions.js';
import { resampleAbsPosEmbed } from '../layers/resample-pos-embed.js';
import { formatImageSize } from '../preprocess/image-size.js';
import { TransformerEncoder } from '../layers/transformer-encoder.js';
import type { WeightStore } from '../layers/weights.js';
import { type Capture, Stages } from './capture.js';
import { patchGrid, type VitConfig } from './vit-config.js';

interface StemConv {
  weight: Tensor;
  bias?: Tensor;
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
  private readonly preNorm: [Tensor, Tensor] | null;
  private readonly proj: Tensor;
  private readonly projBias: Tensor | null;
  private readonly eps: number;
  /** Total stride of the patch embedding (16 for the conv stem). */
  readonly patchStride: number;
  /** timm's rule: the patch grid the (resampled) table is for; null where the table follows the input (Apple's). */
  readonly runGrid: readonly [number, number] | null;
  /** The positional table after resampling [1 + N′ or N′, C] (class-token row included where it has one), or null. */
  readonly resampledTable: Float32Array | null = null;

  constructor(
    store: WeightStore,
    readonly cfg: VitConfig,
    readonly prefix = 'image_encoder.model',
  ) {
    const { dim, stemWidth: s } = cfg;
    const p = prefix;
    const embed = cfg.patchEmbed ?? { kind: 'convstem', stemPadding: 1 };
    this.eps = cfg.eps ?? 1e-5;
    this.patchStride = embed.kind === 'patch' ? embed.patch : 16;
    const convBn = (i: number, cin: number, k: number, stride: number, padding: number): StemConv => {
      const at = `${p}.patch_emb.${i}.block`;
      const w = store.host(`${at}.conv.weight`, [s, cin, k, k]);
      const folded = absorbBn(w, [s, cin, k, k], store.batchNorm(`${at}.norm`, s), 'eval', at);
      return { weight: store.upload(`${at}.conv (BN folded)`, folded.weight, [s, cin, k, k]), bias: store.upload(`${at}.norm (shift)`, folded.bias, [s]), stride, padding, gelu: true };
    };
    if (embed.kind === 'patch') {
      const k = embed.patch;
      this.stem = [{ weight: store.take(`${p}.patch_emb.proj.weight`, [dim, 3, k, k]), stride: k, padding: 0, gelu: false }];
    } else {
      this.stem = [
        convBn(0, 3, 4, 4, embed.stemPadding),
        convBn(1, s, 2, 2, 0),
        {
          weight: store.take(`${p}.patch_emb.2.block.conv.weight`, [dim, s, 2, 2]),
          bias: store.take(`${p}.patch_emb.2.block.conv.bias`, [dim]),
          stride: 2,
          padding: 0,
          gelu: false,
        },
      ];
    }
    const posKey = `${p}.pos_embed.pos_embed.pos_embed`;
    const n = cfg.positions;
    const clsRows = cfg.posIncludesCls ? 1 : 0;
    let table = store.host(posKey, [1, 1, clsRows + n, dim]);
    let rows = n;
    this.runGrid = null;
    if (cfg.positionRule === 'resample-grid') {
      const from = cfg.tableGrid ?? [Math.sqrt(n), Math.sqrt(n)];
      const to = patchGrid(cfg, cfg.imageSize);
      if (to[0] < 1 || to[1] < 1) throw new ShapeError(`VisionTransformer: an input of ${formatImageSize(cfg.imageSize)} gives no ${this.patchStride}×${this.patchStride} patch`);
      this.runGrid = to;
      // timm's set_input_size resamples only when the number of patches changes.
      if (to[0] * to[1] !== n) {
        table = resampleAbsPosEmbed(table, dim, from, to, clsRows);
        rows = to[0] * to[1];
        this.resampledTable = table;
      }
    }
    if (clsRows) {
      // Row 0 belongs to the class token: cls + pos[0] is the reference's own float32 add, done once here.
      const cls = store.host(`${p}.cls_token`, [1, 1, dim]);
      this.cls = store.upload(`${p}.cls_token (+ its positional row)`, Float32Array.from(cls, (v, i) => v + table[i]), [1, 1, dim]);
    } else {
      this.cls = store.take(`${p}.cls_token`, [1, 1, dim]);
    }
    this.positions = new PositionalTable(store, posKey, table.subarray(clsRows * dim), rows, dim);
    this.preNorm = cfg.preNorm ? [store.take(`${p}.norm_pre.weight`, [dim]), store.take(`${p}.norm_pre.bias`, [dim])] : null;
    const ffn = Math.ceil((dim * cfg.ffnMultiplier) / 16) * 16;
    for (let i = 0; i < cfg.layers; i++) this.layers.push(new TransformerEncoder(store, `${p}.transformer.${i}`, { dim, heads: cfg.heads, ffn, causal: false, eps: this.eps }));
    this.postNorm = [store.take(`${p}.post_transformer_norm.weight`, [dim]), store.take(`${p}.post_transformer_norm.bias`, [dim])];
    this.proj = store.takeAsLinear(`${p}.classifier.proj`, [dim, cfg.embedDim]);
    this.projBias = cfg.headBias ? store.take(`${p}.classifier.bias`, [cfg.embedDim]) : null;
  }

  /**
   * images [B, 3, H, W] in [0, 1] → features [B, embedDim] (not normalised). Batches whose
   * activations would pass the adapter's binding limit run in slices.
   */
  forward(images: Tensor, capture?: Capture): Tensor {
    const [, c, h, w] = checkRank('VisionTransformer', 'images', images, 4);
    if (c !== 3) throw new ShapeError(`VisionTransformer: images ${fmtShape(images.shape)} must have 3 channels (RGB), NCHW`);
    const ps = this.patchStride;
    if (h < ps || w < ps) throw new ShapeError(`VisionTransformer: images ${fmtShape(images.shape)} are smaller than one ${ps}×${ps} patch`);
    this.checkInputSize(h, w);
    return forwardInSlices(images, 4 * this.largestActivation(h, w), (x) => this.forwardBatch(x, capture));
  }

  /**
   * timm's ViTs take the size their table was made for: PatchEmbed asserts the image size, the
   * conv-stem embedding only needs as many patches as the table has rows. Anything else would add
   * a table of the wrong grid, so it is refused, naming the option that resamples it.
   */
  private checkInputSize(h: number, w: number): void {
    if (!this.runGrid) return;
    const [gh, gw] = patchGrid(this.cfg, [h, w]);
    const [eh, ew] = this.cfg.imageSize;
    const ok = this.cfg.patchEmbed?.kind === 'patch' ? h === eh && w === ew : gh * gw === this.runGrid[0] * this.runGrid[1];
    if (!ok) {
      throw new ShapeError(
        `VisionTransformer: images of ${h}×${w} give a ${gh}×${gw} patch grid, but this timm ViT's positional table is for ${formatImageSize(this.cfg.imageSize)} inputs (${this.runGrid[0]}×${this.runGrid[1]} patches); load the model with imageSize: [${h}, ${w}] (--image-size ${h}x${w}) to resample the table as open_clip's force_image_size does`,
      );
    }
  }

  /** Elements of the largest activation one image of H×W makes (image, stem convs and their im2col, blocks). */
  largestActivation(h: number, w: number): number {
    const { dim, heads, stemWidth } = this.cfg;
    const pixels = (stride: number) => Math.ceil(h / stride) * Math.ceil(w / stride);
    const ps = this.patchStride;
    const n = pixels(ps) + 1;
    const ffn = Math.ceil((dim * this.cfg.ffnMultiplier) / 16) * 16;
    const stem = this.cfg.patchEmbed?.kind === 'patch' ? 3 * ps * ps * pixels(ps) : Math.max(stemWidth * pixels(4), 4 * stemWidth * pixels(8), 4 * stemWidth * pixels(16));
    return Math.max(3 * h * w, stem, dim * pixels(ps), n * Math.max(ffn, 3 * dim), heads * n * n);
  }

  private forwardBatch(images: Tensor, capture?: Capture): Tensor {
    return images.backend.scope(() => {
      const s = new Stages(capture, images);
      this.stem.forEach((st, i) => {
        const name = i + 1 < this.stem.length ? `image.patch_emb.${i}` : 'image.patch_emb';
        s.next((x) => conv2d(x, st.weight, { bias: st.bias, stride: st.stride, padding: st.padding, act: st.gelu ? 'gelu' : 'none' }), name);
      });
      s.next((x) => {
        const [b, c, gh, gw] = x.shape;
        // The patch tokens before the class token and positions: only worth computing for a capture.
        if (capture) s.offer('image.patch_tokens', transposeLast2(x.reshape([b, c, gh * gw])));
        const resampled = this.resampledTable;
        if (capture && resampled) s.offer('image.pos_embed_resampled', x.backend.upload(resampled, [1, resampled.length / c, c], 'f32', 'image.pos_embed_resampled'));
        return patchTokens(x, this.positions.forLength(gh * gw), this.cls);
      }, 'image.embedding');
      const preNorm = this.preNorm;
      if (preNorm) s.next((t) => layerNorm(t, ...preNorm, this.eps), 'image.norm_pre');
      this.layers.forEach((layer, i) => s.next((t) => layer.forward(t), `image.layer.${i}`));
      s.next((t) => layerNorm(t, ...this.postNorm, this.eps), 'image.post_transformer_norm');
      s.next((normed) => selectToken(normed, 0), 'image.pooled');
      return s.next((cls) => linear(cls, this.proj, this.projBias ? { bias: this.projBias } : {}));
    });
  }
}
