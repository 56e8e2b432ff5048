/**
 * The one place a ModelSpec becomes modules: the image tower its kind names, the text tower, and
 * CLIP with its format's logit-scale rule. The model API and parity both build through here.
 */
import type { TowerSpec } from './spec-types.js';
import type { WeightStore } from '../layers/weights.js';
import { CLIP, type ImageEncoder } from './clip.js';
import { MCi } from './mci.js';
import { TextTransformer } from './text-transformer.js';
import { VisionTransformer } from './vit.js';
import { checkImageSpec, checkTextConfig } from './spec-limits.js';

export interface Towers {
  image: ImageEncoder | null;
  text: TextTransformer | null;
  clip: CLIP | null;
}

/** Builds the towers the spec has (and CLIP when it has both) from `store`'s weights. */
export function buildTowers(store: WeightStore, spec: TowerSpec): Towers {
  // Ranges first: nothing is allocated for a config that describes an absurd model.
  if (spec.image) checkImageSpec(spec.image, spec.name);
  if (spec.text) checkTextConfig(spec.text, spec.name);
  const image = !spec.image ? null : spec.image.kind === 'mci' ? new MCi(store, spec.image.cfg) : new VisionTransformer(store, spec.image.cfg);
  const text = spec.text ? new TextTransformer(store, spec.text) : null;
  const clip = image && text ? new CLIP(store, image, text, { clampLogitScale: (spec.format ?? 'apple') === 'apple' }) : null;
  return { image, text, clip };
}
