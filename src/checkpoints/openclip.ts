/**
 * The OpenCLIP / timm checkpoint format → our module tree (Apple's key names), in one place: hub
 * files (`open_clip_model.safetensors`) hold an open_clip CustomTextCLIP whose image tower is a
 * timm network under `visual.trunk.` and whose text tower is open_clip's under `text.`. Renames
 * and re-layouts, read top to bottom:
 *
 *   visual.trunk.stem.{k}                      → image_encoder.model.patch_embed.{k}
 *   visual.trunk.stages.{i}.downsample         → image_encoder.model.network.{n}   (n from networkLayout)
 *   visual.trunk.stages.{i}.pos_emb            → image_encoder.model.network.{n}
 *   visual.trunk.stages.{i}.blocks.{j}         → image_encoder.model.network.{n}.{j}
 *   visual.trunk.final_conv                    → image_encoder.model.conv_exp   (se.fc1/fc2 → se.reduce/expand)
 *   visual.trunk.head.fc.weight [E, C]         → image_encoder.model.head.proj [C, E]   (transposed)
 *   visual.trunk.head.fc.bias                  → image_encoder.model.head.bias
 *   inside blocks: conv_kxk.0 → rbr_conv.0, conv_scale → rbr_scale, identity → rbr_skip,
 *     large_conv → lkb_origin, proj.0.reparam_conv → proj.0.lkb_reparam, pos_enc → pe,
 *     mlp → convffn, *.gamma (layer scales) → the bare parameter
 *   text.token_embedding.weight                → text_encoder.embedding_layer.weight
 *   text.positional_embedding [77, W]          → text_encoder.positional_embedding.pos_embed.pos_embed [1, 1, 77, W]
 *   text.transformer.resblocks.{i}.ln_1 / .attn.in_proj_{weight,bias} / .attn.out_proj / .ln_2 / .mlp.c_fc / .mlp.c_proj
 *                                              → text_encoder.transformer.{i}.pre_norm_mha.0 / .pre_norm_mha.1.qkv_proj.{weight,bias}
 *                                                / .pre_norm_mha.1.out_proj / .pre_norm_ffn.0 / .pre_norm_ffn.1 / .pre_norm_ffn.4
 *   text.ln_final                              → text_encoder.final_layer_norm
 *   text.text_projection [W, E]                → text_encoder.projection_layer [W, E]   (both used as x·P)
 *   logit_scale                                → logit_scale
 *
 * ViT image towers (`vit_base_mci_224`, `vit_large_patch14_clip_224`), `visual.trunk.` →
 * `image_encoder.model.`: patch_embed.backbone.{0,1}.{conv,bn} → patch_emb.{0,1}.block.{conv,norm},
 * patch_embed.backbone.2.conv → patch_emb.2.block.conv, patch_embed.proj → patch_emb.proj,
 * pos_embed [1, N, C] → pos_embed.pos_embed.pos_embed [1, 1, N, C], blocks.{i}.{norm1, attn.qkv,
 * attn.proj, norm2, mlp.fc1, mlp.fc2} → transformer.{i}.{pre_norm_mha.0, pre_norm_mha.1.qkv_proj,
 * pre_norm_mha.1.out_proj, pre_norm_ffn.0, pre_norm_ffn.1, pre_norm_ffn.4}, norm → post_transformer_norm,
 * norm_pre and cls_token as they are, head.weight [E, C] → classifier.proj [C, E], head.bias → classifier.bias.
 *
 * The same walk renames the reference's output names (`image.stages.2.blocks.0`, `text.resblocks.1`)
 * to ours for parity. Tensors are views (no copy) except the transposed head.
 */
import type { HostTensor, StateDict } from '../io/host-tensor.js';
import { setFileKeyNames, transpose2d } from '../io/host-tensor.js';
import type { TowerSpec } from '../models/spec-types.js';
import { type FastVitConfig, type NetworkSlot, networkLayout } from '../models/mci-config.js';

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
  constructor(
    message: string,
    /** Keys of the file the model has no place for (in the file's spelling), where that is the problem. */
    readonly unknownKeys: string[] = [],
  ) {
    super(message);
  }
}

const TRUNK = 'visual.trunk.';
const IMAGE = 'image_encoder.model.';

/** Inside a FastViT block, module names timm and Apple spell differently. */
function renameInside(rest: string): string {
  return rest
    .replace(/(^|\.)conv_kxk\./g, '$1rbr_conv.')
    .replace(/(^|\.)conv_scale\./g, '$1rbr_scale.')
    .replace(/(^|\.)identity\./g, '$1rbr_skip.')
    .replace(/(^|\.)large_conv\./g, '$1lkb_origin.')
    .replace(/^proj\.0\.reparam_conv\./, 'proj.0.lkb_reparam.')
    .replace(/^pos_enc\./, 'pe.')
    .replace(/(^|\.)mlp\./g, '$1convffn.')
    .replace(/(^|\.)(layer_scale(?:_[12])?)\.gamma$/, '$1$2');
}

/** Where each (kind, stage) of the timm layout sits in our `network` list. */
function networkIndex(f: FastVitConfig): (kind: NetworkSlot['kind'], stage: number) => number | undefined {
  const at = new Map(networkLayout(f).map((s, n) => [`${s.kind}:${s.stage}`, n]));
  return (kind, stage) => at.get(`${kind}:${stage}`);
}

/** Our name of an image-tower key (relative to `visual.trunk.`), or null when it has none. */
function imageKey(rel: string, f: FastVitConfig): string | null {
  const index = networkIndex(f);
  let m = /^stem\.(\d+)\.(.+)$/.exec(rel);
  if (m) return `${IMAGE}patch_embed.${m[1]}.${renameInside(m[2])}`;
  m = /^stages\.(\d+)\.(downsample|pos_emb)\.(.+)$/.exec(rel);
  if (m) {
    const n = index(m[2] as NetworkSlot['kind'], Number(m[1]));
    return n === undefined ? null : `${IMAGE}network.${n}.${renameInside(m[3])}`;
  }
  m = /^stages\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(rel);
  if (m) {
    const n = index('blocks', Number(m[1]));
    return n === undefined ? null : `${IMAGE}network.${n}.${m[2]}.${renameInside(m[3])}`;
  }
  m = /^final_conv\.(.+)$/.exec(rel);
  if (m) return `${IMAGE}conv_exp.${renameInside(m[1]).replace(/^se\.fc1\./, 'se.reduce.').replace(/^se\.fc2\./, 'se.expand.')}`;
  if (rel === 'head.fc.bias') return `${IMAGE}head.bias`;
  return null;
}

const TEXT_LAYER: Record<string, string> = {
  'ln_1.weight': 'pre_norm_mha.0.weight',
  'ln_1.bias': 'pre_norm_mha.0.bias',
  'attn.in_proj_weight': 'pre_norm_mha.1.qkv_proj.weight',
  'attn.in_proj_bias': 'pre_norm_mha.1.qkv_proj.bias',
  'attn.out_proj.weight': 'pre_norm_mha.1.out_proj.weight',
  'attn.out_proj.bias': 'pre_norm_mha.1.out_proj.bias',
  'ln_2.weight': 'pre_norm_ffn.0.weight',
  'ln_2.bias': 'pre_norm_ffn.0.bias',
  'mlp.c_fc.weight': 'pre_norm_ffn.1.weight',
  'mlp.c_fc.bias': 'pre_norm_ffn.1.bias',
  'mlp.c_proj.weight': 'pre_norm_ffn.4.weight',
  'mlp.c_proj.bias': 'pre_norm_ffn.4.bias',
};

const TEXT_TOP: Record<string, string> = {
  'text.token_embedding.weight': 'text_encoder.embedding_layer.weight',
  'text.ln_final.weight': 'text_encoder.final_layer_norm.weight',
  'text.ln_final.bias': 'text_encoder.final_layer_norm.bias',
  'text.text_projection': 'text_encoder.projection_layer',
  logit_scale: 'logit_scale',
};

function textKey(key: string): string | null {
  if (TEXT_TOP[key]) return TEXT_TOP[key];
  const m = /^text\.transformer\.resblocks\.(\d+)\.(.+)$/.exec(key);
  return m && TEXT_LAYER[m[2]] ? `text_encoder.transformer.${m[1]}.${TEXT_LAYER[m[2]]}` : null;
}

const VIT_BLOCK: Record<string, string> = {
  norm1: 'pre_norm_mha.0',
  'attn.qkv': 'pre_norm_mha.1.qkv_proj',
  'attn.proj': 'pre_norm_mha.1.out_proj',
  norm2: 'pre_norm_ffn.0',
  'mlp.fc1': 'pre_norm_ffn.1',
  'mlp.fc2': 'pre_norm_ffn.4',
};

/** Our name of a ViT image-tower key (relative to `visual.trunk.`), or null. */
function vitKey(rel: string): string | null {
  let m = /^patch_embed\.backbone\.([01])\.(conv|bn)\.(.+)$/.exec(rel);
  if (m) return `${IMAGE}patch_emb.${m[1]}.block.${m[2] === 'bn' ? 'norm' : 'conv'}.${m[3]}`;
  m = /^patch_embed\.backbone\.2\.conv\.(weight|bias)$/.exec(rel);
  if (m) return `${IMAGE}patch_emb.2.block.conv.${m[1]}`;
  if (rel === 'patch_embed.proj.weight') return `${IMAGE}patch_emb.proj.weight`;
  if (rel === 'cls_token' || /^norm_pre\.(weight|bias)$/.test(rel)) return `${IMAGE}${rel}`;
  m = /^norm\.(weight|bias)$/.exec(rel);
  if (m) return `${IMAGE}post_transformer_norm.${m[1]}`;
  m = /^blocks\.(\d+)\.(norm1|attn\.qkv|attn\.proj|norm2|mlp\.fc1|mlp\.fc2)\.(weight|bias)$/.exec(rel);
  if (m) return `${IMAGE}transformer.${m[1]}.${VIT_BLOCK[m[2]]}.${m[3]}`;
  if (rel === 'head.bias') return `${IMAGE}classifier.bias`;
  return null;
}

/**
 * An OpenCLIP state dict under our names, for `spec` (a FastViT image tower and open_clip's text
 * tower). A key this format does not know is an error naming it, in the hub's spelling (or as
 * `fileName` maps it back, for a file whose keys were prefixed to read as this format).
 */
export function fromOpenClip(sd: StateDict, spec: TowerSpec, source: string, fileName: (key: string) => string = (k) => k): StateDict {
  const image = spec.image;
  const out: StateDict = new Map();
  const unknown: string[] = [];
  const names = new Map<string, string>();
  const put = (ours: string, t: HostTensor, key: string) => {
    out.set(ours, t);
    names.set(ours, fileName(key));
  };
  for (const [key, t] of sd) {
    if (key.startsWith(TRUNK)) {
      const rel = key.slice(TRUNK.length);
      const head = image?.kind === 'mci' ? 'head.fc.weight' : 'head.weight';
      if (rel === head) {
        // timm's classifier is a Linear [E, C]; our projection is the [C, E] matrix of x·P.
        put(`${IMAGE}${image?.kind === 'mci' ? 'head.proj' : 'classifier.proj'}`, t.shape.length === 2 ? transpose2d(t) : t, key);
        continue;
      }
      if (rel === 'pos_embed' && image?.kind === 'vit') {
        put(`${IMAGE}pos_embed.pos_embed.pos_embed`, t.shape.length === 3 ? { ...t, shape: [1, ...t.shape] } : t, key);
        continue;
      }
      const ours = !image ? null : image.kind === 'mci' ? imageKey(rel, image.cfg.fastvit) : vitKey(rel);
      if (ours) put(ours, t, key);
      else unknown.push(fileName(key));
    } else if (key === 'text.positional_embedding') {
      put('text_encoder.positional_embedding.pos_embed.pos_embed', t.shape.length === 2 ? { ...t, shape: [1, 1, ...t.shape] } : t, key);
    } else {
      const ours = textKey(key);
      if (ours) put(ours, t, key);
      else unknown.push(fileName(key));
    }
  }
  if (unknown.length) {
    throw new CheckpointFormatError(
      `${source}: ${unknown.length} key${unknown.length > 1 ? 's' : ''} the ${spec.name} OpenCLIP model does not have:\n  ${unknown.slice(0, 12).join('\n  ')}${unknown.length > 12 ? `\n  … and ${unknown.length - 12} more` : ''}`,
      unknown,
    );
  }
  return setFileKeyNames(out, names);
}

/** The reference's output name (open_clip / timm module paths) of one of our emitted names. */
export function openClipOutputName(ours: string, spec: TowerSpec): string {
  if (spec.image?.kind === 'vit') {
    const patch = spec.image.cfg.patchEmbed?.kind === 'patch';
    const m = /^image\.patch_emb(?:\.(\d))?$/.exec(ours);
    if (m) return m[1] !== undefined ? `image.patch_embed.backbone.${m[1]}` : patch ? 'image.patch_embed.proj' : 'image.patch_embed.backbone';
    if (ours === 'image.patch_tokens') return 'image.patch_embed';
    if (ours === 'image.embedding') return 'image.pos_embed';
    if (ours === 'image.post_transformer_norm') return 'image.norm';
    const b = /^image\.layer\.(\d+)$/.exec(ours);
    if (b) return `image.blocks.${b[1]}`;
  }
  if (spec.image?.kind === 'mci') {
    const layout = networkLayout(spec.image.cfg.fastvit);
    let m = /^image\.patch_embed(\.\d+)?$/.exec(ours);
    if (m) return `image.stem${m[1] ?? ''}`;
    m = /^image\.network\.(\d+)(?:\.(\d+))?$/.exec(ours);
    if (m) {
      const slot = layout[Number(m[1])];
      if (slot?.kind === 'blocks') return m[2] === undefined ? `image.stages.${slot.stage}` : `image.stages.${slot.stage}.blocks.${m[2]}`;
      if (slot) return `image.stages.${slot.stage}.${slot.kind}`;
    }
    if (ours === 'image.conv_exp') return 'image.final_conv';
  }
  if (ours === 'text.embedding') return 'text.embeds';
  if (ours === 'text.final_layer_norm') return 'text.ln_final';
  const t = /^text\.layer\.(\d+)$/.exec(ours);
  if (t) return `text.resblocks.${t[1]}`;
  return ours;
}
