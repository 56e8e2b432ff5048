/**
 * createModelAndTransforms's one flow on every platform: resolve the name, fetch the checkpoint
 * and vocabulary (in parallel, through the cache, with progress), parse, upload, and optionally
 * compile the kernels before returning. The entries (node.ts, browser.ts) supply the platform.
 */
import type { Gpu } from '../backends/webgpu/gpu.js';
import type { Backend } from '../runtime/backend.js';
import { type BackendHooks, type Device, checkDevice, chooseBackend } from './backend-choice.js';
import type { ImageReader } from '../preprocess/image-input.js';
import type { StateDict } from '../io/host-tensor.js';
import { checkpointByteLimit, type ModelSpec, modelSpecFromConfig, withImageSize } from '../models/model-specs.js';
import { toImageSize } from '../preprocess/image-size.js';
import { createFromBytes, type ModelAndTransforms, withTransforms } from './mobileclip.js';
import { type FetchOptions, type FileSource, type Platform, resolveModel, vocabBytes, weightsBytes } from './model-files.js';
import type { StorageDType } from '../runtime/dtype.js';
import { type PrecompileTowers, precompileModel } from './precompile.js';

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
  /**
   * Where the model runs: 'webgpu', 'cpu', or 'auto' (default: WebGPU where there is an adapter,
   * else the CPU; the rule is in backend-choice.ts).
   */
  device?: Device;
  /** A backend the caller made and owns (it is not destroyed with the model); overrides `device`. */
  backend?: Backend;
  /** A Gpu the caller made and owns: `backend` under its older name. */
  gpu?: Gpu;
  /** Gets the one line that says `device: 'auto'` fell back to the CPU, and why (the CLI prints it on stderr). */
  onNotice?: (line: string) => void;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32). */
  dtype?: StorageDType;
  /** Load a checkpoint with NaN or ±Inf values instead of refusing it (embeddings are still checked). */
  allowNonFinite?: boolean;
  /** Gather a .pt's expanded / stride-0 views past the reader's memory bound (see CheckpointReadOptions). */
  allowExpandedTensors?: boolean;
  /** Compile the kernels before returning (reported as `compile` progress); see MobileCLIP.warmup. */
  warmup?: boolean;
  /**
   * Which towers' kernels start compiling while the checkpoint is read and uploaded (precompile.ts),
   * in this order: 'image' (default), 'text', 'both' or 'none'. The GPU runs its work in order, so
   * compile ahead the tower the first call uses: a text-first user passes 'text'.
   */
  precompile?: PrecompileTowers;
  /**
   * Run the image tower at this input size ([height, width], or one number for a square) instead
   * of the model's own: open_clip's `force_image_size`. A timm ViT's positional table is resampled
   * once at load as timm does it; preprocessing makes inputs of this size.
   */
  imageSize?: number | readonly [number, number];
}

export interface PlatformHooks<I> extends Platform, BackendHooks {
  readImage: ImageReader<I>;
  /** A config file the name points at (Node: a path ending in .json), parsed; null when the name is not one. */
  readConfig?: (name: string) => Promise<unknown | null>;
}

/** What loading `name` reads: its config file (null for a model name or hub reference), the model it resolves to, and the checkpoint's size bound. */
export async function planModelFiles(name: string | object, o: LoadOptions, p: Pick<PlatformHooks<unknown>, 'readConfig'>) {
  const config = typeof name === 'string' && p.readConfig ? await p.readConfig(name) : null;
  const model = config === null ? await resolveModel(name, o) : null;
  // The checkpoint can be no larger than the model described (a config's ViT stem width, read from the weights later, does not matter here).
  let checkpointLimit: number | undefined;
  try {
    checkpointLimit = checkpointByteLimit(model ? model.spec : modelSpecFromConfig(config, undefined, String(name)));
  } catch {
    checkpointLimit = undefined; // a config that does not parse fails later, with its own error
  }
  return { config, model, checkpointLimit };
}

export async function createModel<I>(name: string | object, o: LoadOptions, p: PlatformHooks<I>): Promise<ModelAndTransforms<I>> {
  // A config file's ViT stem width comes from the checkpoint, so its spec is made after parsing.
  const size = o.imageSize === undefined ? undefined : toImageSize(o.imageSize, 'imageSize');
  const sized = (s: ModelSpec) => (size ? withImageSize(s, size) : s);
  const plan = await planModelFiles(name, o, p);
  const config = plan.config;
  const model = plan.model && { ...plan.model, spec: sized(plan.model.spec) };
  const spec = model ? model.spec : (sd: StateDict) => sized(modelSpecFromConfig(config, sd, String(name)));
  const reads = [weightsBytes(o.weights, model?.defaultWeights ?? null, model?.spec.name ?? String(name), o, p, plan.checkpointLimit), vocabBytes(o.vocab ?? o.weights === undefined, o, p)] as const;
  // When one fails, the other is waited for before the load rejects: no download or cache write
  // goes on behind a rejected promise (one cut short by an exiting process leaves a temporary file).
  const files = Promise.all(reads).catch(async (e) => {
    await Promise.allSettled(reads);
    throw e;
  });
  files.catch(() => {}); // awaited below; this only keeps a rejection meanwhile from being "unhandled"
  // The GPU is made while the files are read, so a named model's kernels compile meanwhile; a
  // config's spec needs the checkpoint, so createFromBytes compiles them ahead after parsing.
  const towers = o.precompile ?? 'image';
  const device = checkDevice(o.device);
  const given = o.backend ?? o.gpu;
  let backend: Backend;
  try {
    backend = given ?? (await chooseBackend(device, p, o.onNotice, o.dtype ?? 'f32'));
  } catch (e) {
    await files; // a missing or unreadable file is the more useful error
    throw e;
  }
  const gpu = backend.kind === 'webgpu' ? (backend as Gpu) : null;
  // Kernels compiled during the load, ahead or by the warm-up, as `compile` progress.
  const what = model?.spec.name ?? String(name);
  let compiled = 0;
  const stopReports = gpu ? gpu.pipelines.onCompile(() => o.onProgress?.({ phase: 'compile', what, loaded: ++compiled })) : () => {};
  let made: ModelAndTransforms<I>;
  try {
    let w: Awaited<typeof files>[0];
    let vocab: Awaited<typeof files>[1];
    try {
      if (model && gpu) precompileModel(gpu, model.spec, towers, o.dtype);
      [w, vocab] = await files;
      o.signal?.throwIfAborted();
    } catch (e) {
      if (!given) backend.destroy();
      throw e;
    }
    made = withTransforms(backend, !given, () =>
      createFromBytes<I>({ backend, spec, weights: w.bytes, vocab: vocab?.bytes, source: w.source, dtype: o.dtype, readImage: p.readImage, allowNonFinite: o.allowNonFinite, allowExpandedTensors: o.allowExpandedTensors, onProgress: o.onProgress, precompile: model ? 'none' : towers }),
    );
    try {
      o.signal?.throwIfAborted();
      if (o.warmup) {
        await made.model.warmup();
        if (gpu) {
          await gpu.precompiled(); // every kernel compiled ahead is reported before the total
          o.onProgress?.({ phase: 'compile', what, loaded: compiled, total: compiled });
        }
      }
      o.signal?.throwIfAborted();
    } catch (e) {
      made.dispose();
      throw e;
    }
  } finally {
    stopReports();
  }
  o.onProgress?.({ phase: 'ready', what: made.model.spec.name, loaded: 1, total: 1 });
  return made;
}
