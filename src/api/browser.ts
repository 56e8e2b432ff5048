/** Browser entry of the API: checkpoint and vocabulary from URLs or bytes. */
import '../preprocess/jpeg-wasm.browser.js';
import { createGpu } from '../gpu/browser.js';
import type { Gpu } from '../gpu/gpu.js';
import { fetchBytes } from '../io/fetch-bytes.js';
import { type BrowserImageInput, readBrowserImage } from '../preprocess/image-input.browser.js';
import { preprocessRgb } from '../preprocess/transform.js';
import type { SimpleTokenizer } from '../tokenizer/simple-tokenizer.js';
import { createFromBytes, type MobileCLIP } from './mobileclip.js';
import { modelSpec, modelSpecFromConfig } from './model-specs.js';

export type { BrowserImageInput };

export interface BrowserCreateOptions {
  /** The checkpoint: a URL to fetch, or its bytes. */
  weights: string | URL | Uint8Array | ArrayBuffer;
  /** The gzipped BPE vocabulary (needed for text): a URL or its bytes. */
  vocab?: string | URL | Uint8Array | ArrayBuffer;
  gpu?: Gpu;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32). */
  dtype?: 'f32' | 'f16';
  /** Load a checkpoint with NaN or ±Inf values instead of refusing it (embeddings are still checked). */
  allowNonFinite?: boolean;
}

export interface BrowserModelAndTransforms {
  /** Takes every browser image input: URLs, Blob/File, ImageData, ImageBitmap, <img>, canvases, VideoFrame, bytes, pixels. */
  model: MobileCLIP<BrowserImageInput>;
  /** An image input → the model input [3, S, S]. */
  preprocess: (image: BrowserImageInput) => Promise<Float32Array>;
  tokenizer: SimpleTokenizer | null;
  /** Destroys the model and, if this call created it, the GPU. */
  dispose: () => void;
}

async function bytesOf(src: string | URL | Uint8Array | ArrayBuffer, what: string): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  return fetchBytes(src, what);
}

/** `name`: mobileclip_s0 | s1 | s2 | b | blt, or a reference config.json's parsed object. */
export async function createModelAndTransforms(name: string | object, o: BrowserCreateOptions): Promise<BrowserModelAndTransforms> {
  const spec = typeof name === 'string' ? modelSpec(name) : modelSpecFromConfig(name);
  const [weights, vocab] = await Promise.all([bytesOf(o.weights, 'weights'), o.vocab ? bytesOf(o.vocab, 'vocab') : undefined]);
  const gpu = o.gpu ?? (await createGpu());
  let model: MobileCLIP<BrowserImageInput>;
  try {
    model = createFromBytes({ gpu, spec, weights, vocab, source: typeof o.weights === 'string' ? o.weights : 'weights', dtype: o.dtype, readImage: readBrowserImage, allowNonFinite: o.allowNonFinite });
  } catch (e) {
    if (!o.gpu) gpu.destroy();
    throw e;
  }
  return {
    model,
    tokenizer: model.tokenizer,
    preprocess: async (image) => preprocessRgb(await readBrowserImage(image, 'image'), spec.imageSize).tensor,
    dispose: () => {
      model.dispose();
      if (!o.gpu) gpu.destroy();
    },
  };
}
