/**
 * Which key naming a state dict uses, from its keys alone, and the adapter that maps it onto our
 * module tree (Apple's names). Every loader goes through `adaptCheckpoint`.
 */
import type { StateDict } from '../io/host-tensor.js';
import type { TowerSpec } from '../models/spec-types.js';
import { CheckpointFormatError, fromOpenClip } from './openclip.js';

export { CheckpointFormatError };

export type KeyFormat = 'apple' | 'openclip' | 'timm-image';

const FORMATS: { format: KeyFormat; what: string; test: (k: string) => boolean }[] = [
  { format: 'apple', what: "Apple's MobileCLIP (image_encoder.*, text_encoder.*)", test: (k) => k.startsWith('image_encoder.') || k.startsWith('text_encoder.') },
  { format: 'openclip', what: 'OpenCLIP (visual.trunk.*, text.*)', test: (k) => k.startsWith('visual.') || k.startsWith('text.') },
  { format: 'timm-image', what: 'a timm image model (stem.*, stages.*, head.*)', test: (k) => /^(stem|stages|final_conv|head|patch_embed|blocks|cls_token|pos_embed)\b/.test(k) },
];

/** The format whose keys the state dict holds; an error listing what was seen when none matches. */
export function detectFormat(sd: StateDict, source: string): KeyFormat {
  const keys = [...sd.keys()].filter((k) => k !== 'logit_scale');
  for (const f of FORMATS) if (keys.length > 0 && keys.some(f.test)) return f.format;
  const sample = keys.slice(0, 5).join(', ') || '(no keys)';
  throw new CheckpointFormatError(`${source}: not a checkpoint format this library reads (keys like ${sample}); known: ${FORMATS.map((f) => f.what).join('; ')}`);
}

const describe = (f: KeyFormat) => FORMATS.find((x) => x.format === f)!.what;

/** The state dict under our names for `spec`, through the adapter of the format its keys are in. */
export function adaptCheckpoint(sd: StateDict, spec: TowerSpec, source: string): StateDict {
  const format = detectFormat(sd, source);
  const want = spec.format ?? 'apple';
  if (format === 'apple' && want === 'apple') return sd;
  if (format === 'openclip' && want === 'openclip') return fromOpenClip(sd, spec, source);
  if (format === 'timm-image' && want === 'openclip') {
    // timm's own state dict is the OpenCLIP image tower without its `visual.trunk.` prefix.
    if (spec.text) throw new CheckpointFormatError(`${source}: ${describe(format)} holds an image tower only; ${spec.name} needs a full CLIP checkpoint (or load the image tower alone)`);
    return fromOpenClip(new Map([...sd].map(([k, t]) => [`visual.trunk.${k}`, t])), spec, source, (k) => k.replace(/^visual\.trunk\./, ''));
  }
  throw new CheckpointFormatError(`${source}: the checkpoint is in the ${describe(format)} format, but ${spec.name} is described as ${describe(want)}: pass the config that matches the file`);
}
