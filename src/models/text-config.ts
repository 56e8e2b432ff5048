/** TextTransformer configuration, as the reference's `text_cfg`. */
export interface TextConfig {
  variant: 'base' | 'mct';
  contextLength: number;
  vocabSize: number;
  dim: number;
  heads: number;
  transformerLayers: number;
  ffnMultiplier: number;
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

const first = (v: number | number[]): number => (Array.isArray(v) ? v[0] : v);

export function textConfigFromJson(json: { embed_dim: number; text_cfg: RawText }): TextConfig {
  const t = json.text_cfg;
  if (t.model_name !== 'base' && t.model_name !== 'mct') throw new Error(`text_cfg.model_name: unknown text variant "${t.model_name}" (base or mct)`);
  return {
    variant: t.model_name,
    contextLength: t.context_length,
    vocabSize: t.vocab_size,
    dim: t.dim,
    heads: first(t.n_heads_per_layer),
    transformerLayers: t.n_transformer_layers,
    ffnMultiplier: first(t.ffn_multiplier_per_layer),
    causal: t.causal_masking,
    embedDim: json.embed_dim,
  };
}

const base = (layers: number, causal: boolean, variant: 'base' | 'mct' = 'base'): TextConfig => ({
  variant, contextLength: 77, vocabSize: 49408, dim: 512, heads: 8, transformerLayers: layers, ffnMultiplier: 4, causal, embedDim: 512,
});

/** The released text towers: S0 `mct` (4 layers), S1/S2 `base` (12), B `base` with the causal mask. */
export const TEXT_CONFIGS = {
  s0: base(4, false, 'mct'),
  s1: base(12, false),
  s2: base(12, false),
  b: base(12, true),
} satisfies Record<string, TextConfig>;
