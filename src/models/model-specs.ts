/**
 * The released MobileCLIP v1 models (spec §1) and configs in the reference's config.json format.
 */
import type { StateDict } from '../io/host-tensor.js';
import { MCI_CONFIGS, mciConfigFromJson } from './mci-config.js';
import { TEXT_CONFIGS, type TextConfig, textConfigFromJson } from './text-config.js';
import { parameterBound } from './parameter-count.js';
import { patchGrid, VIT_B16, vitConfigFromJson } from './vit-config.js';
import type { ImageSpec, ModelSpec, TowerSpec } from './spec-types.js';

export type { ImageSpec, ModelSpec, TowerSpec } from './spec-types.js';
import { formatImageSize, type ImageSize, toImageSize } from '../preprocess/image-size.js';
import { isOpenClipConfig, modelSpecFromOpenClip, OPENCLIP_MODEL_NAMES, openClipModels, openClipModelSpec } from './openclip-specs.js';

const mci = (name: keyof typeof MCI_CONFIGS): ImageSpec => ({ kind: 'mci', cfg: { fastvit: MCI_CONFIGS[name], embedDim: 512, imageSize: [256, 256] } });

export const MODEL_SPECS: Record<string, ModelSpec> = {
  mobileclip_s0: { name: 'mobileclip_s0', image: mci('mci0'), text: TEXT_CONFIGS.s0, imageSize: [256, 256] },
  mobileclip_s1: { name: 'mobileclip_s1', image: mci('mci1'), text: TEXT_CONFIGS.s1, imageSize: [256, 256] },
  mobileclip_s2: { name: 'mobileclip_s2', image: mci('mci2'), text: TEXT_CONFIGS.s2, imageSize: [256, 256] },
  mobileclip_b: { name: 'mobileclip_b', image: { kind: 'vit', cfg: VIT_B16 }, text: TEXT_CONFIGS.b, imageSize: [224, 224] },
};
// B-LT is the B architecture with other weights.
MODEL_SPECS.mobileclip_blt = { ...MODEL_SPECS.mobileclip_b, name: 'mobileclip_blt' };

const ALIASES: Record<string, string> = { s0: 'mobileclip_s0', s1: 'mobileclip_s1', s2: 'mobileclip_s2', b: 'mobileclip_b', blt: 'mobileclip_blt', 'b-lt': 'mobileclip_blt', mobileclip_b_lt: 'mobileclip_blt' };

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

/**
 * A model by name: Apple's (mobileclip_s0 … mobileclip_blt, loaded from Apple-format checkpoints)
 * or open_clip's (MobileCLIP-S1 … MobileCLIP2-L-14, optionally `:tag`, from OpenCLIP checkpoints).
 */
export function modelSpec(name: string): ModelSpec {
  const key = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  const spec = MODEL_SPECS[key] ?? openClipModelSpec(name);
  if (!spec) {
    throw new UnknownModelError(
      `unknown model "${name}": choose one of ${Object.keys(MODEL_SPECS).join(', ')} (or s0, s1, s2, b, blt), ${OPENCLIP_MODEL_NAMES.join(', ')}, or pass a config.json / open_clip_config.json`,
    );
  }
  return spec;
}

/** Every model name `modelSpec` knows: Apple's and open_clip's (with their pretrained tags). */
export function listModels(): { name: string; format: 'apple' | 'openclip'; image: string; pretrained: string[]; hub: string[] }[] {
  const apple = Object.values(MODEL_SPECS).map((s) => ({ name: s.name, format: 'apple' as const, image: s.image.kind === 'mci' ? 'MCi (FastViT)' : 'ViT-B/16 (conv stem)', pretrained: [], hub: [] }));
  const oc = openClipModels().map((m) => ({ name: m.name, format: 'openclip' as const, image: m.timm, pretrained: Object.keys(m.pretrained), hub: Object.values(m.pretrained) }));
  return [...apple, ...oc];
}

/** The name of a model made from a parsed config object (no file path, no hub reference, to name it by). */
export const CONFIG_OBJECT_NAME = 'custom';

/** A custom model from a reference-style config.json ({embed_dim, image_cfg, text_cfg}) or an open_clip_config.json. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function modelSpecFromConfig(json: any, sd?: StateDict, name = CONFIG_OBJECT_NAME): ModelSpec {
  if (isOpenClipConfig(json)) return modelSpecFromOpenClip(json, name);
  if (!json?.image_cfg || !json?.text_cfg) throw new UnknownModelError(`${name}: a model config needs image_cfg and text_cfg`);
  const { image, text } = towersFromConfig(json, sd, name);
  return { name, image: image!, text: text!, imageSize: image!.cfg.imageSize };
}

/**
 * The towers a reference-style config.json describes (either may be absent, as in one-tower
 * fixtures). The ViT stem width is read from `sd` when given.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function towersFromConfig(json: any, sd?: StateDict, name = CONFIG_OBJECT_NAME): TowerSpec {
  const isVit = json?.image_cfg && (json.image_cfg.vit || json.image_cfg.model_name === 'vit_b16');
  const image: ImageSpec | null = !json?.image_cfg ? null : isVit ? { kind: 'vit', cfg: vitConfigFromJson(json, sd) } : { kind: 'mci', cfg: mciConfigFromJson(json) };
  return { name, image, text: json?.text_cfg ? textConfigFromJson(json) : null };
}

/**
 * The model at another input size, as open_clip's `create_model(…, force_image_size=size)` builds
 * it: the image tower runs at `size` ([height, width], or one number for a square) and the
 * preprocessing makes inputs of that size. A timm ViT's positional table is then resampled at
 * load (as timm's set_input_size does); Apple's ViT interpolates its table at every forward, and
 * MCi towers take any size as they are. A size that gives a ViT no patch is refused.
 */
export function withImageSize(spec: ModelSpec, size: number | readonly number[]): ModelSpec {
  const s = toImageSize(size, 'imageSize');
  return { ...spec, image: imageAtSize(spec.image, s, spec.name), imageSize: s };
}

/** An image tower at input size `s` (see withImageSize). */
export function imageAtSize(image: ImageSpec, s: ImageSize, name: string): ImageSpec {
  if (image.kind === 'mci') return { kind: 'mci', cfg: { ...image.cfg, imageSize: s } };
  const [gh, gw] = patchGrid(image.cfg, s);
  if (gh < 1 || gw < 1) {
    const stride = image.cfg.patchEmbed?.kind === 'patch' ? image.cfg.patchEmbed.patch : 16;
    throw new RangeError(`${name}: imageSize ${formatImageSize(s)} gives a ${gh}×${gw} patch grid; this ViT needs at least ${stride} pixels a side`);
  }
  return { kind: 'vit', cfg: { ...image.cfg, imageSize: s } };
}

/**
 * The largest checkpoint a model can have: its weights (parameterBound, an upper bound) as float32,
 * a tenth more, and 64 MiB for the container (safetensors header, pickle, zip records).
 */
export function checkpointByteLimit(spec: { image: ImageSpec | null; text: TextConfig | null }): number {
  return Math.ceil(parameterBound(spec) * 4 * 1.1) + (64 << 20);
}
