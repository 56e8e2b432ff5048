/**
 * Models described as open_clip describes them: `open_clip_config.json` ({model_cfg,
 * preprocess_cfg}, what every hub repo ships) → ModelSpec. The image tower is a timm network named
 * by `vision_cfg.timm_model_name` (a registered name) or given by `timm_model_class` +
 * `timm_model_args`; the text tower is open_clip's TextTransformer.
 */
import { TIMM_FASTVIT, type TimmFastVitArgs, mciConfigFromTimm } from './timm-fastvit.js';
import { TIMM_VIT, type TimmVitArgs, vitConfigFromTimm } from './timm-vit.js';
import type { TextConfig } from './text-config.js';
import { integerIn, LIMITS } from './config-range.js';
import type { ImageSpec, ModelSpec } from './spec-types.js';
import { type Pipeline, pipelineAt, type Preprocessing } from '../preprocess/transform.js';
import { type ImageSize, toImageSize } from '../preprocess/image-size.js';

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

/** An open_clip model (both towers) from its open_clip_config.json. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function modelSpecFromOpenClip(json: any, name = 'open_clip model'): ModelSpec {
  const spec = towersFromOpenClip(json, name);
  if (!spec.text) throw new Error(`${name}: model_cfg.text_cfg is missing`);
  return { ...spec, text: spec.text };
}

/**
 * The towers an open_clip config describes; the text tower is null where `text_cfg` is absent
 * (a bare timm image tower's fixture, whose head is the projection).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function towersFromOpenClip(json: any, name = 'open_clip model'): Omit<ModelSpec, 'text'> & { text: TextConfig | null } {
  const fail = (msg: string): never => {
    throw new Error(`${name}: ${msg}`);
  };
  const m = json?.model_cfg ?? fail('no model_cfg: not an open_clip_config.json');
  const embedDim = m.embed_dim;
  if (!Number.isInteger(embedDim) || embedDim <= 0) fail(`model_cfg.embed_dim must be a positive integer, got ${JSON.stringify(embedDim)}`);
  const v = m.vision_cfg ?? fail('model_cfg.vision_cfg is missing');
  let imageSize: ImageSize = [0, 0];
  try {
    imageSize = toImageSize(v.image_size, 'model_cfg.vision_cfg.image_size');
  } catch (e) {
    fail((e as Error).message);
  }
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
  const text = m.text_cfg ? textConfigFromOpenClip(m.text_cfg, embedDim, name) : null;
  // open_clip takes the size from vision_cfg.image_size (which its force_image_size sets); hub files' preprocess_cfg may omit it.
  const preprocessing = preprocessingFromOpenClip(json.preprocess_cfg ?? {}, name);
  return { name, image, text, imageSize, format: 'openclip', preprocessing };
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
  const layers = integerIn(name, 'text_cfg.layers', t.layers ?? 12, 0, LIMITS.layers);
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

const MC_PRE = { mean: [0, 0, 0], std: [1, 1, 1], interpolation: 'bilinear', resize_mode: 'shortest' };
const OPENAI_PRE = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], interpolation: 'bilinear', resize_mode: 'shortest' };

interface Registered {
  timm: string;
  embedDim: number;
  imageSize: number;
  pool: 'avg' | 'token';
  text: { width: number; heads: number; causal: boolean };
  preprocess: typeof MC_PRE;
  /** open_clip's pretrained tags (they change only the weights) and the hub repos of each. */
  pretrained: Record<string, string>;
}

const text512 = (causal = false) => ({ width: 512, heads: 8, causal });
const text768 = { width: 768, heads: 12, causal: false };

/** open_clip's MobileCLIP model configs (open_clip/model_configs/<name>.json + its pretrained cfgs). */
const REGISTERED: Record<string, Registered> = {
  'MobileCLIP-S1': { timm: 'fastvit_mci1', embedDim: 512, imageSize: 256, pool: 'avg', text: text512(), preprocess: MC_PRE, pretrained: { datacompdr: 'apple/MobileCLIP-S1-OpenCLIP' } },
  'MobileCLIP-S2': { timm: 'fastvit_mci2', embedDim: 512, imageSize: 256, pool: 'avg', text: text512(), preprocess: MC_PRE, pretrained: { datacompdr: 'apple/MobileCLIP-S2-OpenCLIP' } },
  'MobileCLIP-B': { timm: 'vit_base_mci_224', embedDim: 512, imageSize: 224, pool: 'token', text: text512(true), preprocess: MC_PRE, pretrained: { datacompdr: 'apple/MobileCLIP-B-OpenCLIP', datacompdr_lt: 'apple/MobileCLIP-B-LT-OpenCLIP' } },
  'MobileCLIP2-S0': { timm: 'fastvit_mci0', embedDim: 512, imageSize: 256, pool: 'avg', text: text512(), preprocess: MC_PRE, pretrained: { dfndr2b: 'timm/MobileCLIP2-S0-OpenCLIP' } },
  'MobileCLIP2-S2': { timm: 'fastvit_mci2', embedDim: 512, imageSize: 256, pool: 'avg', text: text512(), preprocess: MC_PRE, pretrained: { dfndr2b: 'timm/MobileCLIP2-S2-OpenCLIP' } },
  'MobileCLIP2-S3': { timm: 'fastvit_mci3', embedDim: 768, imageSize: 256, pool: 'avg', text: text768, preprocess: OPENAI_PRE, pretrained: { dfndr2b: 'timm/MobileCLIP2-S3-OpenCLIP' } },
  'MobileCLIP2-S4': { timm: 'fastvit_mci4', embedDim: 768, imageSize: 256, pool: 'avg', text: text768, preprocess: OPENAI_PRE, pretrained: { dfndr2b: 'timm/MobileCLIP2-S4-OpenCLIP' } },
  'MobileCLIP2-B': { timm: 'vit_base_mci_224', embedDim: 512, imageSize: 224, pool: 'token', text: text512(true), preprocess: MC_PRE, pretrained: { dfndr2b: 'timm/MobileCLIP2-B-OpenCLIP' } },
  'MobileCLIP2-L-14': { timm: 'vit_large_patch14_clip_224', embedDim: 768, imageSize: 224, pool: 'token', text: text768, preprocess: { ...OPENAI_PRE, interpolation: 'bicubic' }, pretrained: { dfndr2b: 'timm/MobileCLIP2-L-14-OpenCLIP' } },
};

/** The names open_clip gives these models, in its spelling. */
export const OPENCLIP_MODEL_NAMES = Object.keys(REGISTERED);

/** The open_clip_config.json a hub repo of `name` ships ({model_cfg, preprocess_cfg}). */
export function openClipConfig(name: string): { model_cfg: object; preprocess_cfg: object } | null {
  const r = REGISTERED[name];
  if (!r) return null;
  return {
    model_cfg: {
      embed_dim: r.embedDim,
      vision_cfg: { timm_model_name: r.timm, timm_model_pretrained: false, timm_pool: r.pool, timm_proj: null, image_size: r.imageSize },
      text_cfg: { context_length: 77, vocab_size: 49408, width: r.text.width, heads: r.text.heads, layers: 12, no_causal_mask: !r.text.causal },
      custom_text: true,
    },
    preprocess_cfg: { ...r.preprocess, size: r.imageSize },
  };
}

/**
 * `MobileCLIP2-S4`, or with open_clip's pretrained tag `MobileCLIP-B:datacompdr_lt` (case-insensitive)
 * → its registry entry and the tag's hub repo (no tag: the first); null for another name, an
 * error naming the known tags for a wrong one.
 */
function registered(name: string): { key: string; tag: string | undefined; entry: Registered; repo: string } | null {
  const [base, tag] = name.split(':');
  const key = OPENCLIP_MODEL_NAMES.find((n) => n.toLowerCase() === base.toLowerCase());
  if (!key) return null;
  const entry = REGISTERED[key];
  if (tag !== undefined && !(tag in entry.pretrained)) throw new Error(`${key} has no pretrained tag "${tag}" (known: ${Object.keys(entry.pretrained).join(', ')})`);
  return { key, tag, entry, repo: tag ? entry.pretrained[tag] : Object.values(entry.pretrained)[0] };
}

/** A registered name (see `registered`) → its spec, or null. */
export function openClipModelSpec(name: string): ModelSpec | null {
  const r = registered(name);
  return r && modelSpecFromOpenClip(openClipConfig(r.key), r.tag ? `${r.key}:${r.tag}` : r.key);
}

/** The hub repo of a registered name (`MobileCLIP-B:datacompdr_lt` → apple/MobileCLIP-B-LT-OpenCLIP), or null. */
export function openClipHubRepo(name: string): string | null {
  return registered(name)?.repo ?? null;
}

/** Every registered OpenCLIP name with its timm tower, pretrained tags and hub repos. */
export function openClipModels(): { name: string; timm: string; pretrained: Record<string, string> }[] {
  return OPENCLIP_MODEL_NAMES.map((name) => ({ name, timm: REGISTERED[name].timm, pretrained: REGISTERED[name].pretrained }));
}

/**
 * open_clip's `preprocess_cfg` → our preprocessing: resize_mode shortest (+ centre crop) or squash,
 * bilinear or bicubic, mean/std; resizing in the file's own mode first (open_clip's order) unless `rgbFirst`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function preprocessingFromOpenClip(cfg: any, where: string, rgbFirst = false): Preprocessing {
  const fail = (msg: string): never => {
    throw new Error(`${where}: preprocess_cfg.${msg}`);
  };
  const triple = (v: unknown, k: string): [number, number, number] =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as [number, number, number]) : fail(`${k} must be three numbers, got ${JSON.stringify(v)}`);
  const interpolation = cfg?.interpolation ?? 'bicubic';
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') fail(`interpolation "${interpolation}" is not supported (bilinear, bicubic)`);
  const mode = cfg?.resize_mode ?? 'shortest';
  if (mode !== 'shortest' && mode !== 'squash') fail(`resize_mode "${mode}" is not supported (shortest, squash)`);
  const std = triple(cfg?.std ?? [0.26862954, 0.26130258, 0.27577711], 'std');
  if (std.some((v) => v === 0)) fail('std has a zero');
  return { transform: 'open_clip', resizeMode: mode, interpolation, mean: triple(cfg?.mean ?? [0.48145466, 0.4578275, 0.40821073], 'mean'), std, order: rgbFirst ? 'rgb-first' : 'native' };
}

/** open_clip's eval transform of `preprocess_cfg` at `size` (default: the cfg's own `size`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function pipelineFromOpenClip(cfg: any, where: string, size?: number | ImageSize, rgbFirst = false): Pipeline {
  const s = size ?? cfg?.size;
  let at: ImageSize;
  try {
    at = toImageSize(s, 'size');
  } catch (e) {
    throw new Error(`${where}: preprocess_cfg.${(e as Error).message}`);
  }
  return pipelineAt(preprocessingFromOpenClip(cfg, where, rgbFirst), at);
}
