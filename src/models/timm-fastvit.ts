/**
 * timm's FastVit constructor arguments (as MobileCLIP2's OpenCLIP configs name them) → MciConfig.
 * The registered MCi names are here; a config may also give the arguments themselves
 * (`timm_model_class: "FastVit"` + `timm_model_args`, as the fixtures of unregistered sizes do).
 * timm and Apple order the network the same way; only the meaning of `downsamples` differs:
 * timm's flag i puts a down-sampler at the start of stage i, ours (Apple's) after stage i.
 */
import type { FastVitConfig, MciConfig } from './mci-config.js';
import type { ImageSize } from '../preprocess/image-size.js';

export interface TimmFastVitArgs {
  layers: number[];
  token_mixers: string[];
  embed_dims: number[];
  mlp_ratios: number[];
  downsamples: boolean[];
  se_downsamples: boolean[];
  repmixer_kernel_size: number;
  pos_embs: ({ type: string; spatial_shape: [number, number] } | null)[];
  down_patch_size: number;
  down_stride: number;
  lkc_use_act: boolean;
  stem_use_scale_branch: boolean;
  cls_ratio: number;
  norm_layer: { type: string; eps?: number };
  act_layer: { type: string };
  fork_feat?: boolean;
  in_chans?: number;
}

const CPE = { type: 'RepConditionalPosEnc', spatial_shape: [7, 7] as [number, number] };

const mci = (layers: number[], embed_dims: number[], v2: boolean): TimmFastVitArgs => ({
  layers,
  token_mixers: v2 ? ['repmixer', 'repmixer', 'repmixer', 'attention', 'attention'] : ['repmixer', 'repmixer', 'repmixer', 'attention'],
  embed_dims,
  mlp_ratios: new Array(layers.length).fill(v2 ? 4 : 3),
  downsamples: [false, ...new Array(layers.length - 1).fill(true)],
  se_downsamples: v2 ? [false, false, false, false, false] : [false, false, true, true],
  repmixer_kernel_size: 3,
  pos_embs: v2 ? [null, null, null, CPE, CPE] : [null, null, null, CPE],
  down_patch_size: 7,
  down_stride: 2,
  lkc_use_act: true,
  stem_use_scale_branch: !v2,
  cls_ratio: 2.0,
  norm_layer: v2 ? { type: 'LayerNorm2d', eps: 1e-5 } : { type: 'BatchNorm2d' },
  act_layer: { type: 'GELU' },
});

/** timm's registered MCi image towers (timm.models.fastvit: fastvit_mci0 … fastvit_mci4). */
export const TIMM_FASTVIT: Record<string, TimmFastVitArgs> = {
  fastvit_mci0: mci([2, 6, 10, 2], [64, 128, 256, 512], false),
  fastvit_mci1: mci([4, 12, 20, 4], [64, 128, 256, 512], false),
  fastvit_mci2: mci([4, 12, 24, 4], [80, 160, 320, 640], false),
  fastvit_mci3: mci([2, 12, 24, 4, 2], [96, 192, 384, 768, 1536], true),
  fastvit_mci4: mci([2, 12, 24, 4, 4], [128, 256, 512, 1024, 2048], true),
};

/** The arguments → our configuration; anything this port does not implement is an error naming it. */
export function mciConfigFromTimm(a: TimmFastVitArgs, embedDim: number, imageSize: ImageSize, where: string): MciConfig {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  const n = a.layers?.length ?? 0;
  if (n < 2) fail('FastVit needs at least two stages');
  for (const k of ['token_mixers', 'embed_dims', 'mlp_ratios', 'downsamples', 'se_downsamples', 'pos_embs'] as const) {
    if (!Array.isArray(a[k]) || a[k].length !== n) fail(`${k} must list ${n} values (one per stage)`);
  }
  if (a.downsamples[0]) fail('a down-sampler before stage 0 (downsamples[0] = true) is not supported');
  if (!a.lkc_use_act) fail('lkc_use_act = false (no activation after the large-kernel conv) is not supported');
  if (a.act_layer?.type !== 'GELU') fail(`act_layer ${JSON.stringify(a.act_layer)} is not supported (GELU only)`);
  if (a.fork_feat) fail('fork_feat (feature maps instead of an embedding) is not supported');
  if ((a.in_chans ?? 3) !== 3) fail(`in_chans ${a.in_chans}: only RGB input is supported`);
  const norm = a.norm_layer?.type;
  if (norm !== 'BatchNorm2d' && norm !== 'LayerNorm2d') fail(`norm_layer ${JSON.stringify(a.norm_layer)} is not supported (BatchNorm2d or LayerNorm2d)`);
  const fastvit: FastVitConfig = {
    layers: a.layers,
    tokenMixers: a.token_mixers.map((m) => (m === 'repmixer' || m === 'attention' ? m : fail(`unknown token mixer "${m}"`))),
    embedDims: a.embed_dims,
    mlpRatios: a.mlp_ratios,
    // Ours: down-sampler after stage i, i.e. timm's flag of stage i + 1.
    downsamples: a.layers.map((_, i) => (i + 1 < n ? a.downsamples[i + 1] : false)),
    seDownsamples: a.se_downsamples,
    posEmbs: a.pos_embs.map((p) => (!p ? null : p.type === 'RepConditionalPosEnc' ? { kernel: p.spatial_shape } : fail(`unknown pos_embs type "${p.type}"`))),
    repmixerKernelSize: a.repmixer_kernel_size,
    downPatchSize: a.down_patch_size,
    downStride: a.down_stride,
    clsRatio: a.cls_ratio,
  };
  return {
    fastvit,
    embedDim,
    imageSize,
    stemScaleBranch: a.stem_use_scale_branch,
    attentionNorm: norm === 'LayerNorm2d' ? { layernorm: { eps: a.norm_layer.eps ?? 1e-6 } } : 'batchnorm',
    headBias: true,
  };
}
