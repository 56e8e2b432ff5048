/**
 * MCi, MobileCLIP's image encoder (spec §2.1): the convolutional stem, the `network` list (stages
 * of RepMixer or attention blocks, PatchEmbed down-samplers, RepCPE), `conv_exp`, and the
 * GlobalPool2D projection. Weights are taken by their checkpoint keys under `image_encoder.model.`.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, fmtShape } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { globalAvgPool } from '../ops/index.js';
import { linear } from '../ops/index.js';
import { forwardInSlices } from './batch-chunks.js';
import { AttentionBlock } from '../layers/attention-block.js';
import { MobileOneBlock } from '../layers/mobileone-block.js';
import { PatchEmbed } from '../layers/patch-embed.js';
import { RepCPE } from '../layers/repcpe.js';
import { RepMixerBlock } from '../layers/repmixer.js';
import type { WeightStore } from '../layers/weights.js';
import { type MciConfig, networkLayout } from './mci-config.js';
import { type Capture, Stages } from './capture.js';

export type { Capture } from './capture.js';

interface Module {
  forward(x: Tensor): Tensor;
}

type NetworkEntry = { kind: 'stage'; blocks: Module[] } | { kind: 'single'; module: Module };

export class MCi {
  private readonly stem: MobileOneBlock[];
  private readonly network: NetworkEntry[] = [];
  private readonly convExp: MobileOneBlock;
  private readonly headProj: Tensor;
  private readonly headBias: Tensor | null;

  constructor(
    store: WeightStore,
    readonly cfg: MciConfig,
    readonly prefix = 'image_encoder.model',
  ) {
    const f = cfg.fastvit;
    const p = prefix;
    const c0 = f.embedDims[0];
    const stemScale = cfg.stemScaleBranch ?? true;
    this.stem = [
      new MobileOneBlock(store, `${p}.patch_embed.0`, { cin: 3, cout: c0, kernel: [3, 3], stride: 2, padding: [1, 1], groups: 1, skip: false, scale: stemScale, act: 'gelu' }),
      new MobileOneBlock(store, `${p}.patch_embed.1`, { cin: c0, cout: c0, kernel: [3, 3], stride: 2, padding: [1, 1], groups: c0, skip: false, scale: stemScale, act: 'gelu' }),
      new MobileOneBlock(store, `${p}.patch_embed.2`, { cin: c0, cout: c0, kernel: [1, 1], stride: 1, padding: [0, 0], groups: 1, skip: true, scale: false, act: 'gelu' }),
    ];
    const k = f.repmixerKernelSize;
    const norm = cfg.attentionNorm ?? 'batchnorm';
    for (const slot of networkLayout(f)) {
      const at = `${p}.network.${this.network.length}`;
      const i = slot.stage;
      const dim = f.embedDims[i];
      if (slot.kind === 'pos_emb') this.network.push({ kind: 'single', module: new RepCPE(store, at, { dim, kernel: f.posEmbs[i]!.kernel }) });
      else if (slot.kind === 'downsample') {
        const module = new PatchEmbed(store, at, { cin: f.embedDims[i - 1], cout: dim, patchSize: f.downPatchSize, stride: f.downStride, se: f.seDownsamples[i] });
        this.network.push({ kind: 'single', module });
      } else {
        const hidden = Math.floor(dim * f.mlpRatios[i]);
        const blocks: Module[] = [];
        for (let j = 0; j < f.layers[i]; j++) {
          blocks.push(
            f.tokenMixers[i] === 'attention'
              ? new AttentionBlock(store, `${at}.${j}`, { dim, hidden, norm })
              : new RepMixerBlock(store, `${at}.${j}`, { dim, hidden, kernel: [k, k], ffnKernel: [7, 7] }),
          );
        }
        this.network.push({ kind: 'stage', blocks });
      }
    }
    const cl = f.embedDims[f.embedDims.length - 1];
    const ce = Math.floor(cl * f.clsRatio);
    this.convExp = new MobileOneBlock(store, `${p}.conv_exp`, {
      cin: cl, cout: ce, kernel: [3, 3], stride: 1, padding: [1, 1], groups: cl, skip: false, scale: true, se: 'mobileone', act: 'gelu',
    });
    this.headProj = store.takeAsLinear(`${p}.head.proj`, [ce, cfg.embedDim]);
    this.headBias = cfg.headBias ? store.take(`${p}.head.bias`, [cfg.embedDim]) : null;
  }

  /**
   * images [B, 3, H, W] in [0, 1] → features [B, embedDim] (not normalised). Batches whose
   * activations would pass the adapter's binding limit run in slices.
   */
  forward(images: Tensor, capture?: Capture): Tensor {
    const [, c, h, w] = checkRank('MCi', 'images', images, 4);
    if (c !== 3) throw new ShapeError(`MCi: images ${fmtShape(images.shape)} must have 3 channels (RGB), NCHW`);
    if (h < 32 || w < 32) throw new ShapeError(`MCi: images ${fmtShape(images.shape)} are smaller than 32×32, the network's total stride`);
    return forwardInSlices(images, 4 * this.largestActivation(h, w), (x) => this.forwardBatch(x, capture));
  }

  /** Elements of the largest activation one image of H×W makes. */
  largestActivation(h: number, w: number): number {
    const f = this.cfg.fastvit;
    const pixels = (stride: number) => Math.ceil(h / stride) * Math.ceil(w / stride);
    // the image; the stem's first conv (27 = 3·3·3 rows of its im2col)
    let most = Math.max(3 * h * w, Math.max(f.embedDims[0], 27) * pixels(2));
    let stride = 4; // after the stem
    for (const slot of networkLayout(f)) {
      if (slot.kind === 'downsample') stride *= f.downStride;
      if (slot.kind !== 'blocks') continue;
      const dim = f.embedDims[slot.stage];
      const n = pixels(stride);
      most = Math.max(most, Math.floor(dim * f.mlpRatios[slot.stage]) * n, 3 * dim * n); // ConvFFN hidden, qkv
      if (f.tokenMixers[slot.stage] === 'attention') most = Math.max(most, (dim / 32) * n * n); // scores
    }
    return Math.max(most, Math.floor(f.embedDims[f.embedDims.length - 1] * f.clsRatio) * pixels(stride));
  }

  private forwardBatch(images: Tensor, capture?: Capture): Tensor {
    return images.backend.scope(() => {
      const s = new Stages(capture, images);
      const step = (m: Module, name: string) => s.next((x) => m.forward(x), name);
      step(this.stem[0], 'image.patch_embed.0');
      step(this.stem[1], 'image.patch_embed.1');
      step(this.stem[2], 'image.patch_embed');
      this.network.forEach((entry, i) => {
        if (entry.kind === 'single') step(entry.module, `image.network.${i}`);
        else entry.blocks.forEach((b, j) => step(b, j === entry.blocks.length - 1 ? `image.network.${i}` : `image.network.${i}.${j}`));
      });
      step(this.convExp, 'image.conv_exp');
      s.next(globalAvgPool, 'image.pooled');
      return s.next((pooled) => linear(pooled, this.headProj, this.headBias ? { bias: this.headBias } : {}));
    });
  }
}
