/**
 * CLIP (spec §2.13): an image tower, a text tower and the logit scale.
 *   forward → normalised image and text embeddings and min(exp(logit_scale), 100)
 * Zero-shot classification is softmax(scale · image · textᵀ) over the candidate texts.
 */
import type { Tensor } from '../runtime/tensor.js';
import { ShapeError } from '../runtime/errors.js';
import { l2Normalize } from '../ops/index.js';
import { gemm } from '../ops/index.js';
import { softmax } from '../ops/index.js';
import type { WeightStore } from '../layers/weights.js';
import { type Capture, offerToCapture } from './capture.js';
import type { TextForwardOptions, TextTransformer } from './text-transformer.js';

export interface ImageEncoder {
  forward(images: Tensor, capture?: Capture): Tensor;
}

export interface ClipOutput {
  imageEmbeddings: Tensor | null;
  textEmbeddings: Tensor | null;
  /** min(exp(logit_scale), 100) */
  logitScale: number;
}

export const LOGIT_SCALE_MAX = 100;

export class CLIP {
  /** exp(logit_scale) in float32 as the reference computes it, clamped at 100 by Apple's rule. */
  readonly logitScale: number;

  constructor(
    store: WeightStore,
    readonly image: ImageEncoder | null,
    /** The text tower, or what builds it at its first use (towers.ts, deferText). */
    private readonly textOf: TextTransformer | (() => TextTransformer) | null,
    opts: { clampLogitScale?: boolean } = {},
  ) {
    const raw = store.host('logit_scale', [])[0];
    const scale = Math.fround(Math.exp(raw));
    // Apple's CLIP clamps at inference; open_clip does not (its training clamps the parameter instead).
    this.logitScale = (opts.clampLogitScale ?? true) ? Math.min(scale, LOGIT_SCALE_MAX) : scale;
  }

  get text(): TextTransformer | null {
    return typeof this.textOf === 'function' ? this.textOf() : this.textOf;
  }

  encodeImage(images: Tensor, opts: { normalize?: boolean; capture?: Capture } = {}): Tensor {
    if (!this.image) throw new Error('this model has no image tower');
    const image = this.image;
    if (!opts.normalize) return image.forward(images, opts.capture);
    return images.backend.scope(() => l2Normalize(offerToCapture(opts.capture, 'image_features', image.forward(images, opts.capture))));
  }

  encodeText(tokens: Int32Array, shape: readonly [number, number], opts: { normalize?: boolean; capture?: Capture } = {}): Tensor {
    const text = this.textTower(tokens, shape);
    return text.backend.scope(() => this.encodeTextIds(text.uploadIds(tokens, shape), opts));
  }

  /** Checks host ids (context length, vocabulary) and uploads them: the input of `encodeTextIds`. */
  uploadTokens(tokens: Int32Array, shape: readonly [number, number]): Tensor {
    return this.textTower(tokens, shape).uploadIds(tokens, shape);
  }

  /** The checks of `uploadTokens` alone, for ids written into an existing tensor. */
  checkTokens(tokens: Int32Array, shape: readonly [number, number]): void {
    this.textTower(tokens, shape).checkIds(tokens, shape);
  }

  private textTower(tokens: Int32Array, shape: readonly [number, number]): TextTransformer {
    if (!this.text) throw new Error('this model has no text tower');
    const ctx = this.text.cfg.contextLength;
    if (shape[1] !== ctx) throw new ShapeError(`CLIP.encodeText: texts must be tokenized to the context length ${ctx}, got rows of ${shape[1]} ids`);
    return this.text;
  }

  /** `encodeText` from ids already on the GPU (an execution plan's input); the ids stay the caller's. */
  encodeTextIds(ids: Tensor, opts: { normalize?: boolean; capture?: Capture } & TextForwardOptions = {}): Tensor {
    if (!this.text) throw new Error('this model has no text tower');
    const text = this.text;
    const features = () => text.forwardIds(ids, opts.capture, { prefix: opts.prefix, pooledTail: opts.pooledTail });
    if (!opts.normalize) return features();
    return ids.backend.scope(() => l2Normalize(offerToCapture(opts.capture, 'text_features', features())));
  }

  /** Like the reference forward: normalised embeddings of whatever was given, and the scale. */
  forward(images: Tensor | null, tokens: { ids: Int32Array; shape: readonly [number, number] } | null, capture?: Capture): ClipOutput {
    return {
      imageEmbeddings: images ? this.encodeImage(images, { normalize: true, capture }) : null,
      textEmbeddings: tokens ? this.encodeText(tokens.ids, tokens.shape, { normalize: true, capture }) : null,
      logitScale: this.logitScale,
    };
  }

  /** scale · imageEmbeddings · textEmbeddingsᵀ → [B, T] */
  logits(imageEmbeddings: Tensor, textEmbeddings: Tensor, scale = this.logitScale): Tensor {
    const [b, d] = imageEmbeddings.shape;
    const [t, d2] = textEmbeddings.shape;
    if (d !== d2) throw new ShapeError(`CLIP.logits: image embeddings [${b}, ${d}] and text embeddings [${t}, ${d2}] differ in width`);
    const backend = imageEmbeddings.backend;
    return backend.scope(() => {
      const s = backend.upload(new Float32Array(t).fill(scale), [t], 'f32', 'logit_scale');
      return gemm({ a: imageEmbeddings, b: textEmbeddings, bLayout: 'nk', M: b, N: t, K: d, batch: 1, strideA: 0, strideB: 0, outShape: [b, t], scale: s, label: 'clip.logits' });
    });
  }

  /** Per image, the probability of each candidate text: softmax(scale · img · txtᵀ). */
  zeroShot(imageEmbeddings: Tensor, textEmbeddings: Tensor, scale = this.logitScale): Tensor {
    return imageEmbeddings.backend.scope(() => softmax(this.logits(imageEmbeddings, textEmbeddings, scale)));
  }
}
