/**
 * MCi (FastViT) configurations: the released mci0/1/2 and any FastViT configuration of the shape
 * the reference's `image_cfg.fastvit` uses.
 */
import type { AttentionNorm } from '../layers/attention-block.js';
import { type ImageSize, toImageSize } from '../preprocess/image-size.js';

export type TokenMixer = 'repmixer' | 'attention';

export interface FastVitConfig {
  layers: number[];
  tokenMixers: TokenMixer[];
  embedDims: number[];
  mlpRatios: number[];
  downsamples: boolean[];
  seDownsamples: boolean[];
  /** RepCPE before a stage, with its kernel, or null. */
  posEmbs: ({ kernel: [number, number] } | null)[];
  repmixerKernelSize: number;
  downPatchSize: number;
  downStride: number;
  clsRatio: number;
}

export interface MciConfig {
  fastvit: FastVitConfig;
  /** Projection (embedding) width. */
  embedDim: number;
  /** The input size the model runs at ([height, width]; the network itself takes any size). */
  imageSize: ImageSize;
  /** The stem's 1×1 scale branches (MobileCLIP2-S3/S4 have none); default true. */
  stemScaleBranch?: boolean;
  /** The attention blocks' norm: BatchNorm (v1, MCi0-2) or LayerNorm over channels (MCi3/4); default batchnorm. */
  attentionNorm?: AttentionNorm;
  /** The projection has a bias (timm's classifier head as the CLIP projection); default false. */
  headBias?: boolean;
}

/** One entry of MCi's `network` list, in order: RepCPE before a stage, the stage's blocks, the down-sampler after it. */
export type NetworkSlot = { kind: 'pos_emb'; stage: number } | { kind: 'blocks'; stage: number } | { kind: 'downsample'; stage: number };

/**
 * The `network` list of a FastViT configuration (the reference's module order): the one place
 * that says which index is what, for the model and for checkpoint adapters. `downsample` with
 * stage i is the PatchEmbed that leads into stage i.
 */
export function networkLayout(f: FastVitConfig): NetworkSlot[] {
  const slots: NetworkSlot[] = [];
  for (let i = 0; i < f.layers.length; i++) {
    if (f.posEmbs[i]) slots.push({ kind: 'pos_emb', stage: i });
    slots.push({ kind: 'blocks', stage: i });
    if (i + 1 < f.layers.length && (f.downsamples[i] || f.embedDims[i] !== f.embedDims[i + 1])) slots.push({ kind: 'downsample', stage: i + 1 });
  }
  return slots;
}

const standard = (layers: number[], embedDims: number[]): FastVitConfig => ({
  layers,
  tokenMixers: ['repmixer', 'repmixer', 'repmixer', 'attention'],
  embedDims,
  mlpRatios: [3, 3, 3, 3],
  downsamples: [true, true, true, true],
  seDownsamples: [false, false, true, true],
  posEmbs: [null, null, null, { kernel: [7, 7] }],
  repmixerKernelSize: 3,
  downPatchSize: 7,
  downStride: 2,
  clsRatio: 2.0,
});

export const MCI_CONFIGS: Record<string, FastVitConfig> = {
  mci0: standard([2, 6, 10, 2], [64, 128, 256, 512]),
  mci1: standard([4, 12, 20, 4], [64, 128, 256, 512]),
  mci2: standard([4, 12, 24, 4], [80, 160, 320, 640]),
};

interface RawFastVit {
  layers: number[];
  token_mixers: string[];
  embed_dims: number[];
  mlp_ratios: number[];
  downsamples: boolean[];
  se_downsamples?: boolean[];
  pos_embs?: ({ type: string; spatial_shape: [number, number] } | null)[];
  repmixer_kernel_size?: number;
  down_patch_size?: number;
  down_stride?: number;
  cls_ratio?: number;
}

/** From the reference's config.json: `{embed_dim, image_cfg: {model_name, image_size, fastvit?}}`. */
export function mciConfigFromJson(json: { embed_dim: number; image_cfg: { model_name: string; image_size: number | number[]; fastvit?: RawFastVit } }): MciConfig {
  const ic = json.image_cfg;
  const size = toImageSize(ic.image_size, 'image_cfg.image_size');
  let fastvit: FastVitConfig;
  if (ic.fastvit) {
    const f = ic.fastvit;
    const n = f.layers.length;
    for (const [k, v] of Object.entries({ token_mixers: f.token_mixers, embed_dims: f.embed_dims, mlp_ratios: f.mlp_ratios, downsamples: f.downsamples })) {
      if (!Array.isArray(v) || v.length !== n) throw new Error(`image_cfg.fastvit.${k} must list ${n} values (one per stage)`);
    }
    fastvit = {
      layers: f.layers,
      tokenMixers: f.token_mixers.map((m) => {
        if (m !== 'repmixer' && m !== 'attention') throw new Error(`image_cfg.fastvit.token_mixers: unknown mixer "${m}"`);
        return m;
      }),
      embedDims: f.embed_dims,
      mlpRatios: f.mlp_ratios,
      downsamples: f.downsamples,
      seDownsamples: f.se_downsamples ?? new Array(n).fill(false),
      posEmbs: (f.pos_embs ?? new Array(n).fill(null)).map((p) => {
        if (!p) return null;
        if (p.type !== 'RepCPE') throw new Error(`image_cfg.fastvit.pos_embs: unknown type "${p.type}"`);
        return { kernel: p.spatial_shape };
      }),
      repmixerKernelSize: f.repmixer_kernel_size ?? 3,
      downPatchSize: f.down_patch_size ?? 7,
      downStride: f.down_stride ?? 2,
      clsRatio: f.cls_ratio ?? 2.0,
    };
  } else {
    const std = MCI_CONFIGS[ic.model_name];
    if (!std) throw new Error(`unknown MCi model "${ic.model_name}" (known: ${Object.keys(MCI_CONFIGS).join(', ')})`);
    fastvit = std;
  }
  return { fastvit, embedDim: json.embed_dim, imageSize: size };
}
