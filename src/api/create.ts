/**
 * createModelAndTransforms's one flow on every platform: resolve the name, fetch the checkpoint
 * and vocabulary (in parallel, through the cache, with progress), parse, upload, and optionally
 * compile the kernels before returning. The entries (node.ts, browser.ts) supply the platform.
 */
import type { Gpu } from '../gpu/gpu.js';
import type { ImageReader } from '../preprocess/image-input.js';
import type { StateDict } from '../io/host-tensor.js';
import { modelSpecFromConfig } from './model-specs.js';
import { createFromBytes, type ModelAndTransforms, withTransforms } from './mobileclip.js';
import { type FetchOptions, type FileSource, type Platform, resolveModel, vocabBytes, weightsBytes } from './model-files.js';
import type { StorageDType } from '../gpu/dtype.js';

export interface LoadOptions extends FetchOptions {
  /**
   * The checkpoint: bytes, a Blob/File, a path (Node), an http(s) URL, or `hf-hub:<org>/<repo>`
   * (its open_clip_model.safetensors). Default: the model's published checkpoint, downloaded once
   * into the cache.
   */
  weights?: FileSource;
  /**
   * The gzipped BPE vocabulary (needed for text), given like `weights`; `true` for the published
   * one. Default: the published one when `weights` is not given either, else none.
   */
  vocab?: FileSource | boolean;
  gpu?: Gpu;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32). */
  dtype?: StorageDType;
  /** Load a checkpoint with NaN or ±Inf values instead of refusing it (embeddings are still checked). */
  allowNonFinite?: boolean;
  /** Gather a .pt's expanded / stride-0 views past the reader's memory bound (see CheckpointReadOptions). */
  allowExpandedTensors?: boolean;
  /** Compile the kernels before returning (reported as `compile` progress); see MobileCLIP.warmup. */
  warmup?: boolean;
}

export interface PlatformHooks<I> extends Platform {
  createGpu: () => Promise<Gpu>;
  readImage: ImageReader<I>;
  /** A config file the name points at (Node: a path ending in .json), parsed; null when the name is not one. */
  readConfig?: (name: string) => Promise<unknown | null>;
}

export async function createModel<I>(name: string | object, o: LoadOptions, p: PlatformHooks<I>): Promise<ModelAndTransforms<I>> {
  // A config file's ViT stem width comes from the checkpoint, so its spec is made after parsing.
  const config = typeof name === 'string' && p.readConfig ? await p.readConfig(name) : null;
  const model = config === null ? await resolveModel(name, o) : null;
  const spec = model ? model.spec : (sd: StateDict) => modelSpecFromConfig(config, sd, String(name));
  const [w, vocab] = await Promise.all([
    weightsBytes(o.weights, model?.defaultWeights ?? null, model?.spec.name ?? String(name), o, p),
    vocabBytes(o.vocab ?? o.weights === undefined, o, p),
  ]);
  o.signal?.throwIfAborted();
  const gpu = o.gpu ?? (await p.createGpu());
  const made = withTransforms(gpu, !o.gpu, () =>
    createFromBytes<I>({ gpu, spec, weights: w.bytes, vocab, source: w.source, dtype: o.dtype, readImage: p.readImage, allowNonFinite: o.allowNonFinite, allowExpandedTensors: o.allowExpandedTensors, onProgress: o.onProgress }),
  );
  try {
    o.signal?.throwIfAborted();
    if (o.warmup) await made.model.warmup(o.onProgress);
    o.signal?.throwIfAborted();
  } catch (e) {
    made.dispose();
    throw e;
  }
  o.onProgress?.({ phase: 'ready', what: made.model.spec.name, loaded: 1, total: 1 });
  return made;
}
