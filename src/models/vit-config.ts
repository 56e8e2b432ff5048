/** VisionTransformer configuration: Apple's MobileCLIP-B (`vit_b16`) and timm's ViTs of MobileCLIP2. */
import type { StateDict } from '../io/host-tensor.js';
import { type ImageSize, toImageSize } from '../preprocess/image-size.js';

export interface VitConfig {
  dim: number;
  layers: number;
  heads: number;
  /** Width of the first two stem convs (192 for ViT-B/16). */
  stemWidth: number;
  ffnMultiplier: number;
  /** Patch rows of the checkpoint's positional table (196 = 14 × 14). */
  positions: number;
  embedDim: number;
  /** The input size the model runs at ([height, width]). */
  imageSize: ImageSize;
  /**
   * The patch embedding: MobileCLIP's conv stem (4×4/s4 with `stemPadding`, 2×2/s2, 2×2/s2; Apple
   * pads the first conv by 1, timm by 0), or one `patch`×`patch` conv without bias (ViT-L/14).
   * Default: the conv stem, padding 1.
   */
  patchEmbed?: { kind: 'convstem'; stemPadding: number } | { kind: 'patch'; patch: number };
  /**
   * How the positional table meets the patches. 'interpolate-sequence' (Apple's, the default):
   * at every forward, linearly along the flat sequence to whatever length the input gives.
   * 'resample-grid' (timm's, as open_clip's force_image_size runs it): the table belongs to the
   * patch grid `tableGrid`; where imageSize gives another number of patches it is resampled once,
   * at load, bicubic over the grid (layers/resample-pos-embed.ts), and the forward takes that
   * size only, as timm's does.
   */
  positionRule?: 'interpolate-sequence' | 'resample-grid';
  /** resample-grid: the checkpoint table's patch grid [rows, columns]. */
  tableGrid?: readonly [number, number];
  /** LayerNorm epsilon everywhere in the tower (default 1e-5; timm's MCi ViT 1e-6). */
  eps?: number;
  /** The positional table has a row for the class token (timm no_embed_class = false). */
  posIncludesCls?: boolean;
  /** A LayerNorm after the positional embedding (timm pre_norm: `norm_pre`). */
  preNorm?: boolean;
  /** The projection has a bias (timm's classifier head as the CLIP projection). */
  headBias?: boolean;
}

/** conv output length: floor((n + 2·padding − kernel) / stride) + 1 (0 when the input is shorter than the kernel). */
const convOut = (n: number, kernel: number, stride: number, padding: number): number => Math.max(0, Math.floor((n + 2 * padding - kernel) / stride) + 1);

/** The patch grid [rows, columns] an input of `size` gives (the stem convs' output, as the model computes it). */
export function patchGrid(cfg: Pick<VitConfig, 'patchEmbed'>, size: ImageSize): [number, number] {
  const embed = cfg.patchEmbed ?? { kind: 'convstem', stemPadding: 1 };
  const side = (n: number) => (embed.kind === 'patch' ? convOut(n, embed.patch, embed.patch, 0) : convOut(convOut(convOut(n, 4, 4, embed.stemPadding), 2, 2, 0), 2, 2, 0));
  return [side(size[0]), side(size[1])];
}

export const VIT_B16: VitConfig = { dim: 768, layers: 12, heads: 12, stemWidth: 192, ffnMultiplier: 4, positions: 196, embedDim: 512, imageSize: [224, 224] };

interface RawVit {
  embed_dim: number;
  n_transformer_layers: number;
  n_attn_heads: number;
  ffn_multiplier?: number;
}

/**
 * From config.json's `image_cfg.vit`. The stem width is not in the config; it is read from the
 * checkpoint's first stem conv when one is given (ViT-B: dim / 4 = 192).
 */
export function vitConfigFromJson(json: { embed_dim: number; image_cfg: { model_name: string; image_size: number | number[]; vit?: RawVit } }, sd?: StateDict): VitConfig {
  const ic = json.image_cfg;
  const size = toImageSize(ic.image_size, 'image_cfg.image_size');
  if (!ic.vit) {
    if (ic.model_name !== 'vit_b16') throw new Error(`unknown ViT model "${ic.model_name}" (known: vit_b16)`);
    return { ...VIT_B16, embedDim: json.embed_dim, imageSize: size };
  }
  const v = ic.vit;
  const stem = sd?.get('image_encoder.model.patch_emb.0.block.conv.weight')?.shape[0] ?? v.embed_dim / 4;
  return { dim: v.embed_dim, layers: v.n_transformer_layers, heads: v.n_attn_heads, stemWidth: stem, ffnMultiplier: v.ffn_multiplier ?? 4, positions: 196, embedDim: json.embed_dim, imageSize: size };
}
