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

/**
 * Builds the towers the spec has (and CLIP when it has both) from `store`'s weights. With
 * `deferText`, the text tower's keys and shapes are checked now (store.checkOnly) but the tower is
 * built at its first use (`text` is then a getter): a run that embeds only images never widens or
 * lays out the text weights (78 % of MobileCLIP-S0's values).
 */
export function buildTowers(store: WeightStore, spec: TowerSpec, o: { deferText?: boolean } = {}): Towers {
  // Ranges first: nothing is allocated for a config that describes an absurd model.
  if (spec.image) checkImageSpec(spec.image, spec.name);
  if (spec.text) checkTextConfig(spec.text, spec.name);
  const image = !spec.image ? null : spec.image.kind === 'mci' ? new MCi(store, spec.image.cfg) : new VisionTransformer(store, spec.image.cfg);
  const textCfg = spec.text;
  let text: TextTransformer | (() => TextTransformer) | null = null;
  if (textCfg && o.deferText) {
    store.checkOnly(() => new TextTransformer(store, textCfg));
    let built: TextTransformer | null = null;
    text = () => (built ??= new TextTransformer(store, textCfg));
  } else if (textCfg) text = new TextTransformer(store, textCfg);
  const clip = image && text ? new CLIP(store, image, text, { clampLogitScale: (spec.format ?? 'apple') === 'apple' }) : null;
  const textOf = text;
  return typeof textOf === 'function'
    ? {
        image,
        get text() {
          return textOf();
        },
        clip,
      }
    : { image, text: textOf, clip };
}
