/** TextTransformer configuration, as the reference's `text_cfg`. */
import { integerIn, LIMITS } from './config-range.js';

export interface TextConfig {
  variant: 'base' | 'mct';
  contextLength: number;
  vocabSize: number;
  dim: number;
  transformerLayers: number;
  /** Attention heads of each transformer layer (the reference accepts one number for all). */
  headsPerLayer: number[];
  /** FFN width multiplier of each transformer layer; width = ceil(dim · m / 16) · 16. */
  ffnMultiplierPerLayer: number[];
  causal: boolean;
  /** Projection (embedding) width. */
  embedDim: number;
}

interface RawText {
  model_name: string;
  context_length: number;
  vocab_size: number;
  dim: number;
  n_heads_per_layer: number | number[];
  n_transformer_layers: number;
  ffn_multiplier_per_layer: number | number[];
  causal_masking: boolean;
}

/** A number for every layer, or one list entry per layer (as the reference's TextTransformer). */
function perLayer(v: unknown, layers: number, key: string, integer: boolean): number[] {
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x));
  const what = integer ? 'a positive integer' : 'a positive number';
  if (ok(v)) return Array(layers).fill(v);
  if (!Array.isArray(v)) throw new Error(`text_cfg.${key}: expected ${what} or a list of them, got ${JSON.stringify(v)}`);
  if (v.length !== layers) throw new Error(`text_cfg.${key} has ${v.length} entries but n_transformer_layers is ${layers}`);
  const bad = v.findIndex((x) => !ok(x));
  if (bad >= 0) throw new Error(`text_cfg.${key}[${bad}]: expected ${what}, got ${JSON.stringify(v[bad])}`);
  return [...v];
}

/** FFN hidden width of a transformer layer, as the reference rounds it. */
export const ffnWidth = (dim: number, multiplier: number): number => Math.ceil((dim * multiplier) / 16) * 16;

export function textConfigFromJson(json: { embed_dim: number; text_cfg: RawText }): TextConfig {
  const t = json.text_cfg;
  integerIn('text_cfg', 'n_transformer_layers', t.n_transformer_layers, 0, LIMITS.layers);
  if (t.model_name !== 'base' && t.model_name !== 'mct') throw new Error(`text_cfg.model_name: unknown text variant "${t.model_name}" (base or mct)`);
  return {
    variant: t.model_name,
    contextLength: t.context_length,
    vocabSize: t.vocab_size,
    dim: t.dim,
    transformerLayers: t.n_transformer_layers,
    headsPerLayer: perLayer(t.n_heads_per_layer, t.n_transformer_layers, 'n_heads_per_layer', true),
    ffnMultiplierPerLayer: perLayer(t.ffn_multiplier_per_layer, t.n_transformer_layers, 'ffn_multiplier_per_layer', false),
    causal: t.causal_masking,
    embedDim: json.embed_dim,
  };
}

const base = (layers: number, causal: boolean, variant: 'base' | 'mct' = 'base'): TextConfig => ({
  variant, contextLength: 77, vocabSize: 49408, dim: 512, transformerLayers: layers, headsPerLayer: Array(layers).fill(8), ffnMultiplierPerLayer: Array(layers).fill(4), causal, embedDim: 512,
});

/** The released text towers: S0 `mct` (4 layers), S1/S2 `base` (12), B `base` with the causal mask. */
export const TEXT_CONFIGS = {
  s0: base(4, false, 'mct'),
  s1: base(12, false),
  s2: base(12, false),
  b: base(12, true),
} satisfies Record<string, TextConfig>;
