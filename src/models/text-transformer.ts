/**
 * TextTransformer, MobileCLIP's text encoder (spec §2.11):
 *   x = embedding[tokens] + positional   (no sqrt(dim) scale: the reference never applies it)
 *   x = layers(x)                        (mct: RepMixerBlock, N × TransformerEncoder, RepMixerBlock)
 *   x = LN_final(x)[b, argmax(tokens[b])] · projection_layer
 * No key padding mask: pads take part in attention and in the mct mixers. Keys under `text_encoder.`.
 */
import type { Tensor } from '../runtime/tensor.js';
import type { Backend } from '../runtime/backend.js';
import { ShapeError } from '../runtime/errors.js';
import { checkRank, fmtShape } from '../runtime/shape.js';
import { checkTokenIds, embeddingGather } from '../ops/index.js';
import { gatherArgmax } from '../ops/index.js';
import { layerNorm } from '../ops/index.js';
import { linear } from '../ops/index.js';
import { forwardInSlices } from './batch-chunks.js';
import { PositionalTable } from '../layers/interpolate-positions.js';
import { RepMixerBlock } from '../layers/repmixer.js';
import { TransformerEncoder } from '../layers/transformer-encoder.js';
import type { WeightStore } from '../layers/weights.js';
import { type Capture, Stages } from './capture.js';
import { ffnWidth, type TextConfig } from './text-config.js';

interface SequenceLayer {
  forward(x: Tensor): Tensor;
}

/** The mct RepMixerBlock: the reference permutes [B, L, D] to [B, D, 1, L] (the sequence is the width). */
class TextRepMixerBlock implements SequenceLayer {
  private readonly block: RepMixerBlock;
  constructor(store: WeightStore, prefix: string, dim: number) {
    this.block = new RepMixerBlock(store, prefix, { dim, hidden: Math.floor(dim * 4), kernel: [1, 11], ffnKernel: [1, 11] });
  }
  forward(x: Tensor): Tensor {
    return this.block.forwardTokens(x);
  }
}

export interface TextForwardOptions {
  /** The ids are a leading part of the context (the causal shortcut; see causalHead). */
  prefix?: boolean;
  /**
   * Where the tower ends in a transformer layer, that layer computes its attention output, FFN
   * and the final norm only for the pooled row (keys and values still from every row): the
   * features equal the full run's up to float32 rounding. Ignored under a capture.
   */
  pooledTail?: boolean;
}

export class TextTransformer {
  /** The token embedding, in row blocks when it is larger than one storage binding. */
  private readonly table: Tensor[];
  private readonly positions: PositionalTable;
  private readonly layers: SequenceLayer[] = [];
  private readonly finalNorm: [Tensor, Tensor];
  private readonly projection: Tensor;

  constructor(
    store: WeightStore,
    readonly cfg: TextConfig,
    readonly prefix = 'text_encoder',
  ) {
    const { dim, vocabSize, contextLength } = cfg;
    const p = prefix;
    this.table = store.takeRows(`${p}.embedding_layer.weight`, [vocabSize, dim]);
    const posKey = `${p}.positional_embedding.pos_embed.pos_embed`;
    this.positions = new PositionalTable(store, posKey, store.host(posKey, [1, 1, contextLength, dim]), contextLength, dim);
    const mct = cfg.variant === 'mct';
    const n = cfg.transformerLayers + (mct ? 2 : 0);
    for (let i = 0; i < n; i++) {
      const at = `${p}.transformer.${i}`;
      if (mct && (i === 0 || i === n - 1)) this.layers.push(new TextRepMixerBlock(store, at, dim));
      else {
        // Per-layer settings index the transformer layers only (mct's mixers are not counted).
        const t = mct ? i - 1 : i;
        const ffn = ffnWidth(dim, cfg.ffnMultiplierPerLayer[t]);
        this.layers.push(new TransformerEncoder(store, at, { dim, heads: cfg.headsPerLayer[t], ffn, causal: cfg.causal }));
      }
    }
    this.finalNorm = [store.take(`${p}.final_layer_norm.weight`, [dim]), store.take(`${p}.final_layer_norm.bias`, [dim])];
    this.projection = store.takeAsLinear(`${p}.projection_layer`, [dim, cfg.embedDim]);
  }

  /**
   * tokens [B, L] (host ids, checked against the vocabulary) → features [B, embedDim] (not normalised).
   * L is normally the context length; other lengths use the interpolated positional table, as the
   * reference does.
   */
  forward(tokens: Int32Array, shape: readonly [number, number], capture?: Capture): Tensor {
    return this.backend.scope(() => this.forwardIds(this.uploadIds(tokens, shape), capture));
  }

  get backend(): Backend {
    return this.table[0].backend;
  }

  /** Checks host token ids against the vocabulary and uploads them as an i32 tensor [B, L]. */
  uploadIds(tokens: Int32Array, shape: readonly [number, number]): Tensor {
    this.checkIds(tokens, shape);
    return this.backend.upload(tokens, [shape[0], shape[1]], 'i32', 'token_ids');
  }

  /** Throws a ShapeError naming the problem if the ids do not fill [B, L] or leave the vocabulary. */
  checkIds(tokens: Int32Array, shape: readonly [number, number]): void {
    const [b, l] = shape;
    if (!Number.isInteger(b) || !Number.isInteger(l) || b * l !== tokens.length) {
      throw new ShapeError(`TextTransformer: ${tokens.length} token ids do not fill shape ${fmtShape(shape)}`);
    }
    if (b === 0) throw new ShapeError('TextTransformer: empty batch (no texts)');
    if (l === 0) throw new ShapeError('TextTransformer: empty sequences');
    checkTokenIds(tokens, this.cfg.vocabSize);
  }

  /**
   * ids [B, L] already on the GPU (checked by `uploadIds`; an execution plan's input) → features.
   * The ids stay the caller's.
   */
  forwardIds(ids: Tensor, capture?: Capture, opts: TextForwardOptions = {}): Tensor {
    const [, l] = checkRank('TextTransformer', 'ids', ids, 2, 'i32');
    if (opts.prefix && !this.causalShortcut) throw new ShapeError('TextTransformer: a prefix of the context is exact only for a causal base tower');
    // Intermediates are every row's: a capture runs the whole last layer.
    const pooledTail = (opts.pooledTail ?? false) && !capture && this.layers.at(-1) instanceof TransformerEncoder;
    return forwardInSlices(ids, 4 * this.largestActivation(l), (x) => this.forwardBatch(x, l, capture, opts.prefix ?? false, pooledTail));
  }

  /** A causal tower without sequence mixers: the pooled (first-argmax) output depends only on the positions up to it. */
  get causalShortcut(): boolean {
    return this.cfg.causal && this.cfg.variant === 'base';
  }

  /**
   * For the exact shortcut: how many leading positions of `rows` [n × contextLength] every row's
   * pooled output depends on (1 + the last first-argmax, rounded up to a multiple of 8 so few
   * lengths recur), or null when the tower is not causal. Running `forwardIds` on those columns
   * with `prefix: true` equals the full run up to float32 rounding.
   */
  causalPrefix(rows: Int32Array, n: number): number | null {
    if (!this.causalShortcut) return null;
    const ctx = this.cfg.contextLength;
    let need = 1;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let i = 1; i < ctx; i++) if (rows[r * ctx + i] > rows[r * ctx + best]) best = i;
      need = Math.max(need, best + 1);
    }
    return Math.min(ctx, Math.ceil(need / 8) * 8);
  }

  /**
   * The leading `length` columns of `rows` [n × contextLength] that `causalPrefix` allows, as
   * [n × length] ids for `forwardIds(…, { prefix: true })`; null when no position can be skipped.
   */
  causalHead(rows: Int32Array, n: number): { ids: Int32Array; length: number } | null {
    const p = this.causalPrefix(rows, n);
    const ctx = this.cfg.contextLength;
    if (p === null || p >= ctx) return null;
    const ids = new Int32Array(n * p);
    for (let r = 0; r < n; r++) ids.set(rows.subarray(r * ctx, r * ctx + p), r * p);
    return { ids, length: p };
  }

  /** Elements of the largest activation one sequence of L tokens makes (MLP hidden, qkv, scores). */
  largestActivation(l: number): number {
    const { dim, headsPerLayer, ffnMultiplierPerLayer } = this.cfg;
    const mixers = this.cfg.variant === 'mct' ? 4 * dim : 0; // the mct RepMixer blocks' FFN
    const ffn = Math.max(mixers, ...ffnMultiplierPerLayer.map((m) => ffnWidth(dim, m)));
    return Math.max(l * ffn, 3 * l * dim, Math.max(0, ...headsPerLayer) * l * l);
  }

  private forwardBatch(ids: Tensor, l: number, capture: Capture | undefined, prefix: boolean, pooledTail: boolean): Tensor {
    return ids.backend.scope(() => {
      const s = new Stages(capture, ids);
      s.next((ids) => embeddingGather(this.table, ids, prefix ? this.positions.prefix(l) : this.positions.forLength(l)), 'text.embedding');
      const full = pooledTail ? this.layers.slice(0, -1) : this.layers;
      full.forEach((layer, i) => s.next((x) => layer.forward(x), `text.layer.${i}`));
      if (pooledTail) {
        // LayerNorm is per row, so normalising the pooled row after gathering it is the same math.
        const last = this.layers.at(-1) as TransformerEncoder;
        s.next((x) => layerNorm(last.forwardPooledRow(x, ids), ...this.finalNorm), 'text.pooled');
      } else {
        s.next((x) => layerNorm(x, ...this.finalNorm), 'text.final_layer_norm');
        s.next((normed) => gatherArgmax(normed, ids), 'text.pooled');
      }
      return s.next((pooled) => linear(pooled, this.projection));
    });
  }
}
