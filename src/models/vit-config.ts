/** VisionTransformer (MobileCLIP-B's `vit_b16`) configuration. */
import type { StateDict } from '../io/host-tensor.js';

export interface VitConfig {
  dim: number;
  layers: number;
  heads: number;
  /** Width of the first two stem convs (192 for ViT-B/16). */
  stemWidth: number;
  ffnMultiplier: number;
  /** Patches the positional table was trained for (196 = 14 × 14). */
  positions: number;
  embedDim: number;
  imageSize: number;
  /**
   * The patch embedding: MobileCLIP's conv stem (4×4/s4 with `stemPadding`, 2×2/s2, 2×2/s2; Apple
   * pads the first conv by 1, timm by 0), or one `patch`×`patch` conv without bias (ViT-L/14).
   * Default: the conv stem, padding 1.
   */
  patchEmbed?: { kind: 'convstem'; stemPadding: number } | { kind: 'patch'; patch: number };
  /** LayerNorm epsilon everywhere in the tower (default 1e-5; timm's MCi ViT 1e-6). */
  eps?: number;
  /** The positional table has a row for the class token (timm no_embed_class = false). */
  posIncludesCls?: boolean;
  /** A LayerNorm after the positional embedding (timm pre_norm: `norm_pre`). */
  preNorm?: boolean;
  /** The projection has a bias (timm's classifier head as the CLIP projection). */
  headBias?: boolean;
}

export const VIT_B16: VitConfig = { dim: 768, layers: 12, heads: 12, stemWidth: 192, ffnMultiplier: 4, positions: 196, embedDim: 512, imageSize: 224 };

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
  const size = Array.isArray(ic.image_size) ? ic.image_size[0] : ic.image_size;
  if (!ic.vit) {
    if (ic.model_name !== 'vit_b16') throw new Error(`unknown ViT model "${ic.model_name}" (known: vit_b16)`);
    return { ...VIT_B16, embedDim: json.embed_dim, imageSize: size };
  }
  const v = ic.vit;
  const stem = sd?.get('image_encoder.model.patch_emb.0.block.conv.weight')?.shape[0] ?? v.embed_dim / 4;
  return { dim: v.embed_dim, layers: v.n_transformer_layers, heads: v.n_attn_heads, stemWidth: stem, ffnMultiplier: v.ffn_multiplier ?? 4, positions: 196, embedDim: json.embed_dim, imageSize: size };
}
