/**
 * MCi, MobileCLIP's image encoder (spec §2.1): the convolutional stem, the `network` list (stages
 * of RepMixer or attention blocks, PatchEmbed down-samplers, RepCPE), `conv_exp`, and the
 * GlobalPool2D projection. Weights are taken by their checkpoint keys under `image_encoder.model.`.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, fmtShape } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { globalAvgPool } from '../kernels/pool.js';
import { matmul } from '../kernels/matmul.js';
import { forwardInSlices } from './batch-chunks.js';
import { AttentionBlock } from '../layers/attention-block.js';
import { MobileOneBlock } from '../layers/mobileone-block.js';
import { PatchEmbed } from '../layers/patch-embed.js';
import { RepCPE } from '../layers/repcpe.js';
import { RepMixerBlock } from '../layers/repmixer.js';
import type { WeightStore } from '../layers/weights.js';
import type { MciConfig } from './mci-config.js';
import { type Capture, CaptureScope } from './capture.js';

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

  constructor(
    store: WeightStore,
    readonly cfg: MciConfig,
    readonly prefix = 'image_encoder.model',
  ) {
    const f = cfg.fastvit;
    const p = prefix;
    const c0 = f.embedDims[0];
    this.stem = [
      new MobileOneBlock(store, `${p}.patch_embed.0`, { cin: 3, cout: c0, kernel: [3, 3], stride: 2, padding: [1, 1], groups: 1, skip: false, scale: true, act: 'gelu' }),
      new MobileOneBlock(store, `${p}.patch_embed.1`, { cin: c0, cout: c0, kernel: [3, 3], stride: 2, padding: [1, 1], groups: c0, skip: false, scale: true, act: 'gelu' }),
      new MobileOneBlock(store, `${p}.patch_embed.2`, { cin: c0, cout: c0, kernel: [1, 1], stride: 1, padding: [0, 0], groups: 1, skip: true, scale: false, act: 'gelu' }),
    ];
    const k = f.repmixerKernelSize;
    for (let i = 0; i < f.layers.length; i++) {
      const dim = f.embedDims[i];
      const pe = f.posEmbs[i];
      if (pe) this.network.push({ kind: 'single', module: new RepCPE(store, `${p}.network.${this.network.length}`, { dim, kernel: pe.kernel }) });
      const at = `${p}.network.${this.network.length}`;
      const hidden = Math.floor(dim * f.mlpRatios[i]);
      const blocks: Module[] = [];
      for (let j = 0; j < f.layers[i]; j++) {
        blocks.push(
          f.tokenMixers[i] === 'attention'
            ? new AttentionBlock(store, `${at}.${j}`, { dim, hidden })
            : new RepMixerBlock(store, `${at}.${j}`, { dim, hidden, kernel: [k, k], ffnKernel: [7, 7] }),
        );
      }
      this.network.push({ kind: 'stage', blocks });
      if (i + 1 < f.layers.length && (f.downsamples[i] || dim !== f.embedDims[i + 1])) {
        const module = new PatchEmbed(store, `${p}.network.${this.network.length}`, {
          cin: dim, cout: f.embedDims[i + 1], patchSize: f.downPatchSize, stride: f.downStride, se: f.seDownsamples[i + 1],
        });
        this.network.push({ kind: 'single', module });
      }
    }
    const cl = f.embedDims[f.embedDims.length - 1];
    const ce = Math.floor(cl * f.clsRatio);
    this.convExp = new MobileOneBlock(store, `${p}.conv_exp`, {
      cin: cl, cout: ce, kernel: [3, 3], stride: 1, padding: [1, 1], groups: cl, skip: false, scale: true, se: 'mobileone', act: 'gelu',
    });
    this.headProj = store.take(`${p}.head.proj`, [ce, cfg.embedDim]);
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
    f.embedDims.forEach((dim, i) => {
      const n = pixels(4 << i);
      most = Math.max(most, Math.floor(dim * f.mlpRatios[i]) * n, 3 * dim * n); // ConvFFN hidden, qkv
      if (f.tokenMixers[i] === 'attention') most = Math.max(most, (dim / 32) * n * n); // scores
    });
    return Math.max(most, Math.floor(f.embedDims[f.embedDims.length - 1] * f.clsRatio) * pixels(32));
  }

  private forwardBatch(images: Tensor, capture?: Capture): Tensor {
    const scope = new CaptureScope(capture, images);
    const step = (x: Tensor, m: Module, name: string): Tensor => {
      const y = m.forward(x);
      scope.release(x);
      scope.emit(name, y);
      return y;
    };
    let x = images;
    x = step(x, this.stem[0], 'image.patch_embed.0');
    x = step(x, this.stem[1], 'image.patch_embed.1');
    x = step(x, this.stem[2], 'image.patch_embed');
    this.network.forEach((entry, i) => {
      if (entry.kind === 'single') x = step(x, entry.module, `image.network.${i}`);
      else entry.blocks.forEach((b, j) => (x = step(x, b, j === entry.blocks.length - 1 ? `image.network.${i}` : `image.network.${i}.${j}`)));
    });
    x = step(x, this.convExp, 'image.conv_exp');
    const pooled = globalAvgPool(x);
    scope.release(x);
    const features = matmul(pooled, this.headProj);
    pooled.dispose();
    return features;
  }
}
