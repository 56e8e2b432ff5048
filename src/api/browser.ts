/** Browser entry of the API: checkpoint and vocabulary from URLs or bytes. */
import '../preprocess/jpeg-wasm.browser.js';
import { createGpu } from '../gpu/browser.js';
import type { Gpu } from '../gpu/gpu.js';
import { fetchBytes } from '../io/fetch-bytes.js';
import { type BrowserImageInput, readBrowserImage } from '../preprocess/image-input.browser.js';
import { createFromBytes, type ModelAndTransforms, withTransforms } from './mobileclip.js';
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
  /** Gather a .pt's expanded / stride-0 views past the reader's memory bound (see CheckpointReadOptions). */
  allowExpandedTensors?: boolean;
}

/** Every browser image input: URLs, Blob/File, ImageData, ImageBitmap, <img>, canvases, VideoFrame, bytes, pixels. */
export type BrowserModelAndTransforms = ModelAndTransforms<BrowserImageInput>;

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
  const source = typeof o.weights === 'string' ? o.weights : 'weights';
  return withTransforms(gpu, !o.gpu, () => createFromBytes({ gpu, spec, weights, vocab, source, dtype: o.dtype, readImage: readBrowserImage, allowNonFinite: o.allowNonFinite, allowExpandedTensors: o.allowExpandedTensors }));
}
