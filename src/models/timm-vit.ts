/**
 * timm's VisionTransformer constructor arguments (as MobileCLIP's OpenCLIP configs name them) →
 * VitConfig: the MCi ViT (`vit_base_mci_224`: the conv stem as a HybridEmbed backbone, patches-only
 * positional table, LayerNorm eps 1e-6) and CLIP ViTs (`vit_large_patch14_clip_224`: one patch
 * conv without bias, class-token positional row, pre-norm). What this port does not implement is
 * an error naming the argument.
 */
import { type ImageSize, toImageSize } from '../preprocess/image-size.js';
import { patchGrid, type VitConfig } from './vit-config.js';

export interface TimmVitArgs {
  img_size: number | number[];
  patch_size: number;
  embed_dim: number;
  depth: number;
  num_heads: number;
  mlp_ratio: number;
  qkv_bias: boolean;
  qk_norm?: boolean;
  init_values?: number | null;
  class_token: boolean;
  no_embed_class: boolean;
  reg_tokens?: number;
  pre_norm: boolean;
  final_norm?: boolean;
  fc_norm?: boolean | null;
  dynamic_img_size?: boolean;
  embed_layer: { type: string; proj?: boolean; backbone?: { type: string; channels: number[]; kernel_size: number[]; stride: number[]; padding: number[]; norm_layer?: { type: string }; act_layer?: { type: string } } };
  norm_layer: { type: string; eps?: number } | null;
  act_layer: { type: string } | null;
  in_chans?: number;
}

const MCI_STEM = (dim: number) => ({ type: 'ConvStem', channels: [dim / 4, dim / 4, dim], kernel_size: [4, 2, 2], stride: [4, 2, 2], padding: [0, 0, 0], norm_layer: { type: 'BatchNorm2d' }, act_layer: { type: 'GELU' } });

/** timm's registered ViT image towers of the MobileCLIP family. */
export const TIMM_VIT: Record<string, TimmVitArgs> = {
  vit_base_mci_224: {
    img_size: 224, patch_size: 1, embed_dim: 768, depth: 12, num_heads: 12, mlp_ratio: 4, qkv_bias: true, class_token: true, no_embed_class: true, pre_norm: false,
    embed_layer: { type: 'HybridEmbed', proj: false, backbone: MCI_STEM(768) }, norm_layer: null, act_layer: null,
  },
  vit_large_patch14_clip_224: {
    img_size: 224, patch_size: 14, embed_dim: 1024, depth: 24, num_heads: 16, mlp_ratio: 4, qkv_bias: true, class_token: true, no_embed_class: false, pre_norm: true,
    embed_layer: { type: 'PatchEmbed' }, norm_layer: { type: 'LayerNorm', eps: 1e-5 }, act_layer: null,
  },
};

/**
 * `imageSize` is the size the model runs at (open_clip's vision_cfg.image_size, which its
 * force_image_size sets); the positional table is the one timm made for `img_size`.
 */
export function vitConfigFromTimm(a: TimmVitArgs, embedDim: number, imageSize: ImageSize, where: string): VitConfig {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (!a.class_token) fail('class_token = false is not supported (the class token is the pooled output)');
  if (!a.qkv_bias) fail('qkv_bias = false is not supported');
  if (a.qk_norm) fail('qk_norm is not supported');
  if (a.init_values) fail('init_values (layer scale) is not supported');
  if (a.reg_tokens) fail('register tokens are not supported');
  if (a.final_norm === false) fail('final_norm = false is not supported');
  if (a.fc_norm) fail('fc_norm is not supported');
  if (a.dynamic_img_size) fail('dynamic_img_size is not supported');
  if ((a.in_chans ?? 3) !== 3) fail(`in_chans ${a.in_chans}: only RGB input is supported`);
  if (a.act_layer && a.act_layer.type !== 'GELU') fail(`act_layer ${JSON.stringify(a.act_layer)} is not supported (GELU only)`);
  if (a.norm_layer && a.norm_layer.type !== 'LayerNorm') fail(`norm_layer ${JSON.stringify(a.norm_layer)} is not supported (LayerNorm)`);
  const dim = a.embed_dim;
  if (dim % a.num_heads !== 0) fail(`embed_dim ${dim} does not split into ${a.num_heads} heads`);
  let patchEmbed: VitConfig['patchEmbed'];
  let stemWidth = dim / 4;
  const e = a.embed_layer;
  if (e?.type === 'HybridEmbed') {
    const b = e.backbone;
    const ok = b?.type === 'ConvStem' && e.proj === false && b.channels.length === 3 && b.channels[2] === dim && b.channels[0] === b.channels[1] && `${b.kernel_size}` === '4,2,2' && `${b.stride}` === '4,2,2' && b.padding[1] === 0 && b.padding[2] === 0 && (b.norm_layer?.type ?? 'BatchNorm2d') === 'BatchNorm2d' && (b.act_layer?.type ?? 'GELU') === 'GELU' && a.patch_size === 1;
    if (!ok) fail(`embed_layer ${JSON.stringify(e)} is not the MobileCLIP conv stem (ConvStem 4/2/2, BatchNorm, GELU, proj false)`);
    patchEmbed = { kind: 'convstem', stemPadding: b!.padding[0] };
    stemWidth = b!.channels[0];
  } else if (e?.type === 'PatchEmbed') {
    patchEmbed = { kind: 'patch', patch: a.patch_size };
  } else return fail(`embed_layer ${JSON.stringify(e)} is not supported (HybridEmbed with the MobileCLIP ConvStem, or PatchEmbed)`);
  let tableSize: ImageSize = [0, 0];
  try {
    tableSize = toImageSize(a.img_size, 'img_size');
  } catch (e) {
    fail((e as Error).message);
  }
  const tableGrid = patchGrid({ patchEmbed }, tableSize);
  if (tableGrid[0] < 1 || tableGrid[1] < 1) fail(`img_size ${JSON.stringify(a.img_size)} gives no patches`);
  return {
    dim,
    layers: a.depth,
    heads: a.num_heads,
    stemWidth,
    ffnMultiplier: a.mlp_ratio,
    positions: tableGrid[0] * tableGrid[1],
    tableGrid,
    positionRule: 'resample-grid',
    embedDim,
    imageSize,
    patchEmbed,
    eps: a.norm_layer?.eps ?? 1e-6,
    posIncludesCls: !a.no_embed_class,
    preNorm: a.pre_norm,
    headBias: true,
  };
}
