/**
 * Models described as open_clip describes them: `open_clip_config.json` ({model_cfg,
 * preprocess_cfg}, what every hub repo ships) → ModelSpec. The image tower is a timm network named
 * by `vision_cfg.timm_model_name` (a registered name) or given by `timm_model_class` +
 * `timm_model_args`; the text tower is open_clip's TextTransformer.
 */
import { TIMM_FASTVIT, type TimmFastVitArgs, mciConfigFromTimm } from '../models/timm-fastvit.js';
import { TIMM_VIT, type TimmVitArgs, vitConfigFromTimm } from '../models/timm-vit.js';
import type { TextConfig } from '../models/text-config.js';
import type { ImageSpec, ModelSpec } from './model-specs.js';

interface OpenClipTextCfg {
  context_length?: number;
  vocab_size?: number;
  width?: number;
  heads?: number;
  layers?: number;
  mlp_ratio?: number;
  no_causal_mask?: boolean;
  pool_type?: string;
  proj_bias?: boolean;
  hf_model_name?: string;
}

/** True when `json` is an open_clip config (`model_cfg` with vision_cfg/text_cfg). */
export const isOpenClipConfig = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && 'model_cfg' in json && typeof (json as { model_cfg: unknown }).model_cfg === 'object';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function modelSpecFromOpenClip(json: any, name = 'open_clip model'): ModelSpec {
  const fail = (msg: string): never => {
    throw new Error(`${name}: ${msg}`);
  };
  const m = json?.model_cfg ?? fail('no model_cfg: not an open_clip_config.json');
  const embedDim = m.embed_dim;
  if (!Number.isInteger(embedDim) || embedDim <= 0) fail(`model_cfg.embed_dim must be a positive integer, got ${JSON.stringify(embedDim)}`);
  const v = m.vision_cfg ?? fail('model_cfg.vision_cfg is missing');
  const imageSize = Array.isArray(v.image_size) ? v.image_size[0] : v.image_size;
  if (!Number.isInteger(imageSize) || imageSize <= 0) fail(`vision_cfg.image_size must be a positive integer, got ${JSON.stringify(v.image_size)}`);
  if (v.timm_proj !== null && v.timm_proj !== undefined && v.timm_proj !== 'none') fail(`vision_cfg.timm_proj "${v.timm_proj}" is not supported (the timm head is the projection)`);
  const cls = v.timm_model_class as string | undefined;
  const timmName = v.timm_model_name as string | undefined;
  const where = `${name}: vision_cfg`;
  let image: ImageSpec;
  const args = () => v.timm_model_args ?? fail(`vision_cfg.timm_model_class ${cls} needs timm_model_args`);
  if (cls === 'FastVit' || (!cls && timmName && TIMM_FASTVIT[timmName])) {
    if (v.timm_pool !== 'avg') fail(`vision_cfg.timm_pool "${v.timm_pool}" is not supported for FastVit (avg)`);
    image = { kind: 'mci', cfg: mciConfigFromTimm(cls ? (args() as TimmFastVitArgs) : TIMM_FASTVIT[timmName!], embedDim, imageSize, where) };
  } else if (cls === 'VisionTransformer' || (!cls && timmName && TIMM_VIT[timmName])) {
    if (v.timm_pool !== 'token') fail(`vision_cfg.timm_pool "${v.timm_pool}" is not supported for a ViT (token)`);
    image = { kind: 'vit', cfg: vitConfigFromTimm(cls ? (args() as TimmVitArgs) : TIMM_VIT[timmName!], embedDim, imageSize, where) };
  } else {
    return fail(`image tower ${JSON.stringify(cls ?? timmName)} is not supported (registered: ${[...Object.keys(TIMM_FASTVIT), ...Object.keys(TIMM_VIT)].join(', ')}; or timm_model_class FastVit / VisionTransformer)`);
  }
  return { name, image, text: textConfigFromOpenClip(m.text_cfg ?? fail('model_cfg.text_cfg is missing'), embedDim, name), imageSize, format: 'openclip' };
}

/** open_clip's TextTransformer (pre-norm, GELU, argmax-EOT pooling, projection without bias). */
function textConfigFromOpenClip(t: OpenClipTextCfg, embedDim: number, name: string): TextConfig {
  const fail = (msg: string): never => {
    throw new Error(`${name}: text_cfg.${msg}`);
  };
  if (t.hf_model_name) fail('hf_model_name: Hugging Face text towers are not supported');
  if (t.pool_type !== undefined && t.pool_type !== 'argmax') fail(`pool_type "${t.pool_type}" is not supported (argmax)`);
  if (t.proj_bias) fail('proj_bias: a text projection with bias is not supported');
  // open_clip's defaults (CLIPTextCfg) where a key is absent.
  const width = t.width ?? 512;
  const heads = t.heads ?? 8;
  const layers = t.layers ?? 12;
  if (!Number.isInteger(width) || !Number.isInteger(heads) || width % heads !== 0) fail(`width ${width} does not split into ${heads} heads`);
  return {
    variant: 'base',
    contextLength: t.context_length ?? 77,
    vocabSize: t.vocab_size ?? 49408,
    dim: width,
    transformerLayers: layers,
    headsPerLayer: new Array(layers).fill(heads),
    ffnMultiplierPerLayer: new Array(layers).fill(t.mlp_ratio ?? 4),
    causal: !(t.no_causal_mask ?? false),
    embedDim,
  };
}
