/**
 * Recognises a MobileCLIP state dict from its keys and shapes: which towers it has, their structure,
 * whether it is fused, and which released model (S0, S1, S2, B) it matches.
 */
import type { StateDict } from '../io/host-tensor.js';
import { numel } from '../runtime/shape.js';
import { hasTrainingBranches } from '../layers/reparam.js';
import { OPENCLIP_MODEL_NAMES, openClipModelSpec } from './openclip-specs.js';

export interface ImageTowerShape {
  kind: 'mci' | 'vit';
  /** MCi: blocks per stage; ViT: [transformer layers]. */
  layers: number[];
  /** MCi: stage widths; ViT: [width]. */
  widths: number[];
}

export interface TextTowerShape {
  variant: 'mct' | 'base';
  transformerLayers: number;
  width: number;
  vocab: number;
  /** FFN hidden width of each transformer layer (heads leave no trace in the weights' shapes). */
  ffnWidths: number[];
}

export interface Identification {
  model: string;
  /** The built-in model names whose architecture the file has (several share one: mobileclip_b / blt, MobileCLIP-S2 / MobileCLIP2-S2); [] for a custom shape. */
  names: string[];
  /** Whose key names the file uses. */
  keys: 'apple' | 'openclip' | 'unknown';
  image: ImageTowerShape | null;
  text: TextTowerShape | null;
  /**
   * Whether the re-parameterisable blocks (MCi's, the mct text mixers) are fused; null when the
   * file has none (a ViT or base text tower, or no model weights at all).
   */
  fused: boolean | null;
  /** Parameters (buffers excluded) per top-level prefix. */
  parameters: { image: number; text: number; other: number };
}

/** Parameters (BatchNorm statistics excluded) under the image prefix, the text prefix, and the rest. */
function countParameters(sd: StateDict, image: string, text: string): Identification['parameters'] {
  const parameters = { image: 0, text: 0, other: 0 };
  for (const [k, t] of sd) {
    if (/\.(running_mean|running_var|num_batches_tracked)$/.test(k)) continue;
    const n = numel(t.shape);
    if (k.startsWith(image)) parameters.image += n;
    else if (k.startsWith(text)) parameters.text += n;
    else parameters.other += n;
  }
  return parameters;
}

const count = (keys: string[], re: RegExp): number => new Set(keys.flatMap((k) => (re.exec(k) ? [re.exec(k)![1]] : []))).size;

export function identify(sd: StateDict): Identification {
  const keys = [...sd.keys()];
  if (keys.some((k) => k.startsWith('visual.trunk.') || k.startsWith('text.transformer.'))) return identifyOpenClip(sd);
  const img = 'image_encoder.model.';
  let image: ImageTowerShape | null = null;
  if (sd.has(`${img}cls_token`)) {
    image = { kind: 'vit', layers: [count(keys, /^image_encoder\.model\.transformer\.(\d+)\./)], widths: [sd.get(`${img}cls_token`)!.shape.at(-1)!] };
  } else if (keys.some((k) => k.startsWith(`${img}patch_embed.`))) {
    // Stages are the network entries made of numbered blocks; PatchEmbed and RepCPE sit between them.
    const entries = count(keys, /^image_encoder\.model\.network\.(\d+)\./);
    const layers: number[] = [];
    const widths: number[] = [];
    for (let i = 0; i < entries; i++) {
      const re = new RegExp(`^image_encoder\\.model\\.network\\.${i}\\.(\\d+)\\.`);
      const n = count(keys, re);
      if (n === 0) continue;
      layers.push(n);
      widths.push(sd.get(`${img}network.${i}.0.layer_scale`)?.shape[0] ?? sd.get(`${img}network.${i}.0.layer_scale_1`)?.shape[0] ?? 0);
    }
    image = { kind: 'mci', layers, widths };
  }
  let text: TextTowerShape | null = null;
  const emb = sd.get('text_encoder.embedding_layer.weight');
  if (emb) {
    const n = count(keys, /^text_encoder\.transformer\.(\d+)\./);
    const mixers = count(keys, /^text_encoder\.transformer\.(\d+)\.token_mixer\./);
    const ffnWidths: number[] = [];
    for (let i = 0; i < n; i++) {
      const fc1 = sd.get(`text_encoder.transformer.${i}.pre_norm_ffn.1.weight`);
      if (fc1) ffnWidths.push(fc1.shape[0]);
    }
    text = { variant: mixers > 0 ? 'mct' : 'base', transformerLayers: n - mixers, width: emb.shape[1], vocab: emb.shape[0], ffnWidths };
  }
  const parameters = countParameters(sd, 'image_encoder.', 'text_encoder.');
  const reparameterisable = image?.kind === 'mci' || text?.variant === 'mct';
  const model = modelName(image, text);
  const known = /^(mobileclip_\w+)/.exec(model)?.[1];
  const names = !known ? [] : known === 'mobileclip_b' ? ['mobileclip_b', 'mobileclip_blt'] : [known];
  return { model, names, keys: model === 'not a MobileCLIP state dict' ? 'unknown' : 'apple', image, text, fused: reparameterisable ? !hasTrainingBranches(sd) : null, parameters };
}

/** The same for an OpenCLIP file (timm image tower under visual.trunk., open_clip text tower), matched against open_clip's registered names. */
function identifyOpenClip(sd: StateDict): Identification {
  const keys = [...sd.keys()];
  const t = 'visual.trunk.';
  let image: ImageTowerShape | null = null;
  if (sd.has(`${t}cls_token`)) {
    image = { kind: 'vit', layers: [count(keys, /^visual\.trunk\.blocks\.(\d+)\./)], widths: [sd.get(`${t}cls_token`)!.shape.at(-1)!] };
  } else if (keys.some((k) => k.startsWith(`${t}stages.`))) {
    const stages = count(keys, /^visual\.trunk\.stages\.(\d+)\./);
    const layers: number[] = [];
    const widths: number[] = [];
    for (let i = 0; i < stages; i++) {
      layers.push(count(keys, new RegExp(`^visual\\.trunk\\.stages\\.${i}\\.blocks\\.(\\d+)\\.`)));
      const p = `${t}stages.${i}.blocks.0.`;
      widths.push(sd.get(`${p}layer_scale.gamma`)?.shape[0] ?? sd.get(`${p}layer_scale_1.gamma`)?.shape[0] ?? 0);
    }
    image = { kind: 'mci', layers, widths };
  }
  let text: TextTowerShape | null = null;
  const emb = sd.get('text.token_embedding.weight');
  if (emb) {
    const n = count(keys, /^text\.transformer\.resblocks\.(\d+)\./);
    const ffnWidths = Array.from({ length: n }, (_, i) => sd.get(`text.transformer.resblocks.${i}.mlp.c_fc.weight`)?.shape[0] ?? 0);
    text = { variant: 'base', transformerLayers: n, width: emb.shape[1], vocab: emb.shape[0], ffnWidths };
  }
  const parameters = countParameters(sd, 'visual.', 'text.');
  const fused = image?.kind === 'mci' ? !keys.some((k) => /\.(conv_kxk|conv_scale|large_conv|pos_enc)\./.test(k) || /token_mixer\.mixer\./.test(k)) : null;
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  const matches = OPENCLIP_MODEL_NAMES.filter((name) => {
    const s = openClipModelSpec(name)!;
    const img = s.image!;
    const imageOk = !image
      ? true
      : img.kind === 'mci'
        ? image.kind === 'mci' && same(image.layers, img.cfg.fastvit.layers) && same(image.widths, img.cfg.fastvit.embedDims)
        : image.kind === 'vit' && image.layers[0] === img.cfg.layers && image.widths[0] === img.cfg.dim;
    const textOk = !text || (text.width === s.text!.dim && text.transformerLayers === s.text!.transformerLayers && text.vocab === s.text!.vocabSize);
    return imageOk && textOk && (image || text);
  });
  const timm = matches.length ? (openClipModelSpec(matches[0])!.image!.kind === 'mci' ? 'FastViT' : 'ViT') : '';
  const model = matches.length ? `${matches.join(' or ')} (OpenCLIP, ${timm}${image ? '' : ', text tower only'}${text ? '' : ', image tower only'})` : `custom OpenCLIP (${image ? `${image.kind} layers [${image.layers}] widths [${image.widths}]` : 'no image tower'}; ${text ? `text ${text.transformerLayers} layers width ${text.width}` : 'no text tower'})`;
  return { model, names: matches, keys: 'openclip', image, text, fused, parameters };
}

function modelName(image: ImageTowerShape | null, text: TextTowerShape | null): string {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  const stdText = (variant: 'mct' | 'base', layers: number) =>
    text !== null && text.variant === variant && text.transformerLayers === layers && text.width === 512 && text.vocab === 49408 && text.ffnWidths.every((f) => f === 2048);
  let name: string | null = null;
  if (image?.kind === 'mci' && same(image.widths, [64, 128, 256, 512]) && same(image.layers, [2, 6, 10, 2])) name = 'mobileclip_s0';
  if (image?.kind === 'mci' && same(image.widths, [64, 128, 256, 512]) && same(image.layers, [4, 12, 20, 4])) name = 'mobileclip_s1';
  if (image?.kind === 'mci' && same(image.widths, [80, 160, 320, 640]) && same(image.layers, [4, 12, 24, 4])) name = 'mobileclip_s2';
  if (image?.kind === 'vit' && image.widths[0] === 768 && image.layers[0] === 12) name = 'mobileclip_b';
  const expectedText = name === 'mobileclip_s0' ? stdText('mct', 4) : name ? stdText('base', 12) : false;
  if (name && (text === null || expectedText)) return text ? name : `${name} (image tower only)`;
  const parts: string[] = [];
  if (image) parts.push(image.kind === 'mci' ? `MCi layers [${image.layers}] widths [${image.widths}]` : `ViT ${image.layers[0]} layers width ${image.widths[0]}`);
  if (text) {
    const uniform = text.ffnWidths.every((f) => f === text.ffnWidths[0]);
    const ffn = text.ffnWidths.length === 0 ? '' : uniform ? `, FFN ${text.ffnWidths[0]}` : `, FFN per layer [${text.ffnWidths}]`;
    parts.push(`${text.variant} text, ${text.transformerLayers} transformer layers, width ${text.width}${ffn}, vocab ${text.vocab}`);
  }
  return parts.length ? `custom (${parts.join('; ')})` : 'not a MobileCLIP state dict';
}

/**
 * The loading option that would fit a checkpoint identified as `id` (asked for as `asked`):
 * `--model NAME` for a built-in architecture (the asked name where it is one of them), `--config
 * FILE` for a MobileCLIP of its own shape; null where the file is no MobileCLIP or fits `asked`.
 */
export function suggestOption(id: Identification, asked: string): string | null {
  if (id.keys === 'unknown') return null;
  if (id.names.some((n) => n.toLowerCase() === asked.toLowerCase())) return null;
  if (id.names.length) return `--model ${id.names[0]}`;
  return `--config FILE (its ${id.keys === 'openclip' ? 'open_clip_config.json' : 'config.json'})`;
}
