/**
 * What building and loading need to know of a model: the image tower (MCi or ViT and its config),
 * the text tower, the input size and preprocessing, and whose key names its checkpoints use. The
 * loaders (models/, checkpoints/) and the API all speak these; model-specs.ts makes them.
 */
import type { MciConfig } from './mci-config.js';
import type { TextConfig } from './text-config.js';
import type { VitConfig } from './vit-config.js';
import type { Preprocessing } from '../preprocess/transform.js';
import type { ImageSize } from '../preprocess/image-size.js';

export type ImageSpec = { kind: 'mci'; cfg: MciConfig } | { kind: 'vit'; cfg: VitConfig };

/** What building and loading need of a model: each tower (or null for a one-tower fixture) and the key format. */
export interface TowerSpec {
  name: string;
  image: ImageSpec | null;
  text: TextConfig | null;
  format?: 'apple' | 'openclip';
}

export interface ModelSpec extends TowerSpec {
  name: string;
  image: ImageSpec;
  text: TextConfig;
  /** The input size the model runs at, [height, width] (the image tower's own, kept equal by withImageSize). */
  imageSize: ImageSize;
  /** How images become the model input, at imageSize (default: Apple's transform). */
  preprocessing?: Preprocessing;
  /**
   * The key names of this model's checkpoints: Apple's (default; our module tree) or open_clip's,
   * mapped by src/checkpoints/openclip.ts. It also fixes the reference's logit-scale rule: Apple's
   * CLIP clamps exp(logit_scale) at 100, open_clip does not at inference.
   */
  format?: 'apple' | 'openclip';
}
