/**
 * The user-facing model: MobileCLIP with its preprocessing and tokenizer, working on host data
 * (decoded images, strings) and returning host arrays. One GPU submission per batch; each forward
 * (tower, batch size, normalisation) is recorded once as an execution plan and replayed after.
 */
import type { ExecutionPlan } from '../backends/webgpu/plan.js';
import type { Gpu } from '../backends/webgpu/gpu.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import { readCheckpoint } from '../io/checkpoint.js';
import type { StateDict } from '../io/host-tensor.js';
import { WeightStore } from '../layers/weights.js';
import type { CLIP } from '../models/clip.js';
import { loadModel } from '../models/load.js';
import { describeValue, type ImageInput, type ImageReader, readImageInput } from '../preprocess/image-input.js';
import { checkLabels, checkList, checkTemplates, MAX_BATCH, optionalBoolean, optionalFunction, optionalInteger, optionsObject } from './options.js';
import { APPLE_PREPROCESSING, type Pipeline, pipelineAt, preprocessImage } from '../preprocess/transform.js';
import type { ImageSize } from '../preprocess/image-size.js';
import type { OnLoadProgress } from '../io/load-progress.js';
import { SimpleTokenizer } from '../tokenizer/simple-tokenizer.js';
import { tokenRows } from './token-rows.js';
import { EmbeddingMatrix } from './embedding-matrix.js';
import { fingerprintStateDict } from '../io/state-dict-fingerprint.js';
import { type ForwardCall, imageForward, textForward } from './forwards.js';
import { type PrecompileTowers, precompileModel } from './precompile.js';
import type { ModelSpec } from '../models/model-specs.js';
import { type Templates, templatesFor } from './templates.js';
import type { StorageDType } from '../runtime/dtype.js';

export interface EncodeOptions {
  /** L2-normalise the embeddings (default true). */
  normalize?: boolean;
  /** Items per GPU batch (default 8 images, 32 texts). */
  batchSize?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface Embeddings {
  /** [count × dim], row-major. */
  data: Float32Array;
  count: number;
  dim: number;
}

export interface ClassifyOptions {
  templates?: Templates;
  /** The most likely labels to return per image (default all; at least 1). */
  topK?: number;
  batchSize?: number;
  /** Called after each batch of images with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called after each batch of label prompts with (done, total): 10,000 labels take a while too. */
  onLabelProgress?: (done: number, total: number) => void;
}

/** EncodeOptions, checked (OptionError naming the option otherwise). */
function encodeOptions(where: string, o: unknown): EncodeOptions {
  const v = optionsObject(where, o);
  return {
    normalize: optionalBoolean(where, 'normalize', v.normalize),
    batchSize: optionalInteger(where, 'batchSize', v.batchSize, 1, MAX_BATCH),
    onProgress: optionalFunction(where, 'onProgress', v.onProgress),
  };
}

export interface Prediction {
  label: string;
  probability: number;
}

export type { ImageInput };

/** A non-finite embedding (NaN or ±Inf: from non-finite weights or input) is an error, never a result. */
export class NonFiniteOutputError extends Error {
  override name = 'NonFiniteOutputError';
}

function checkFiniteRows(data: Float32Array, dim: number, first: number, what: string): void {
  for (let k = 0; k < data.length; k++) {
    if (Number.isFinite(data[k])) continue;
    const row = first + Math.floor(k / dim);
    throw new NonFiniteOutputError(`${what} ${row}: the embedding holds ${data[k]} (at dimension ${k % dim}); the weights or the input hold non-finite values`);
  }
}

/** A recorded forward: new data goes into `input`, `plan.run()`, and `output` holds the result. */
interface RecordedForward {
  plan: ExecutionPlan;
  input: Tensor;
  output: Tensor;
}

export class ModelDisposedError extends Error {
  override name = 'ModelDisposedError';
  /** Not one input's fault: a stream of files stops here rather than skipping the file (collection/image-stream.ts). */
  readonly fatal = true;
}

export interface ModelOptions<I = ImageInput> {
  /** Names the checkpoint in errors. */
  source?: string;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32); default 'f32'. */
  dtype?: StorageDType;
  /** How image inputs are read (default: PNG/JPEG bytes and decoded pixels). */
  readImage?: ImageReader<I>;
  /** Load a checkpoint with NaN or ±Inf values instead of refusing it (embeddings are still checked). */
  allowNonFinite?: boolean;
  /** Gather a .pt's expanded / stride-0 views past the reader's memory bound (see CheckpointReadOptions). */
  allowExpandedTensors?: boolean;
}

/**
 * `I` is what `encodeImages`, `classify` and `preprocess` take: the platform entries pass their
 * reader (Node: paths and URLs too; browsers: Blob, ImageData, canvases, …); by default PNG/JPEG
 * bytes and decoded pixels.
 */
export class MobileCLIP<I = ImageInput> {
  readonly clip: CLIP;
  private readonly store: WeightStore;
  private readonly recorded = new Map<string, RecordedForward>();
  /**
   * Record each (tower, batch size, normalisation) forward once and replay it (default true):
   * no per-batch kernel setup on the CPU. Each plan keeps its intermediates' GPU memory until
   * `releasePlans()` or `dispose()`.
   */
  usePlans = true;

  /**
   * Exact shortcuts (default true): a causal text tower (MobileCLIP-B, MobileCLIP2-B) runs only the
   * positions up to the batch's last end of text, which is all its pooled output depends on; and
   * a text tower ending in a transformer layer computes that layer's attention output, FFN and
   * final norm only for the pooled row. Results equal the full run up to float32 rounding; false
   * runs every position of every layer.
   */
  exactShortcuts = true;

  /** GPU storage of weights and activations. */
  readonly dtype: StorageDType;
  private readonly readImage: ImageReader<I>;
  /** Public calls not yet settled: dispose() during one defers the release until the last settles. */
  private calls = 0;
  private state: 'live' | 'disposing' | 'released' = 'live';
  private readonly onRelease: (() => void)[] = [];

  /** Tells this model's weights from others' (state-dict-fingerprint.ts): what an index records. */
  readonly weightsFingerprint: string;

  constructor(
    /** Where the model runs (backend-choice.ts): its weights and every forward live there. */
    readonly backend: Backend,
    readonly spec: ModelSpec,
    stateDict: StateDict,
    readonly tokenizer: SimpleTokenizer | null,
    options: ModelOptions<I> = {},
  ) {
    this.dtype = options.dtype ?? 'f32';
    this.readImage = options.readImage ?? (readImageInput as ImageReader<I>);
    this.weightsFingerprint = fingerprintStateDict(stateDict);
    // On the CPU the text tower is built at its first use (its keys checked now): an image-only
    // run's first embedding does not wait for the text weights to be widened and stored. WebGPU
    // builds both now, as its ahead-of-time compiles expect.
    const loaded = loadModel(backend, spec, stateDict, { source: options.source, dtype: this.dtype, allowNonFinite: options.allowNonFinite, deferText: backend.kind === 'cpu' });
    this.store = loaded.store;
    this.clip = loaded.clip!;
  }

  /** The WebGPU runtime the model runs on, or null on the CPU backend. */
  get gpu(): Gpu | null {
    return this.backend.kind === 'webgpu' ? (this.backend as Gpu) : null;
  }

  /** The input size the model runs at, [height, width]. */
  get imageSize(): ImageSize {
    return this.spec.imageSize;
  }

  /** The model's own preprocessing at its input size (Apple's transform, or its open_clip_config's). */
  get pipeline(): Pipeline {
    return pipelineAt(this.spec.preprocessing ?? APPLE_PREPROCESSING, this.imageSize);
  }

  get embedDim(): number {
    return this.spec.text.embedDim;
  }

  get logitScale(): number {
    return this.clip.logitScale;
  }

  /** One image input (see `I`) → the model input [3, S, S] in [0, 1]. */
  async preprocess(image: I, name = 'image'): Promise<Float32Array> {
    return this.call('preprocess', async () => preprocessImage(await this.readImage(image, name), this.pipeline).tensor);
  }

  /**
   * Runs a public call, counted: a model disposed meanwhile refuses further forwards with a
   * ModelDisposedError and frees its GPU memory once the last call settles.
   */
  private async call<T>(what: string, body: () => Promise<T>): Promise<T> {
    this.assertLive(what);
    this.calls++;
    try {
      return await body();
    } finally {
      if (--this.calls === 0 && this.state === 'disposing') this.release();
    }
  }

  private assertLive(what: string): void {
    if (this.state === 'live') return;
    throw new ModelDisposedError(`${what}: the ${this.spec.name} model was disposed${this.state === 'disposing' ? ' while this call was running' : ''}`);
  }

  /**
   * One forward on host data: replayed from its recorded plan (recorded on first use, with
   * `upload` making the input), or run eagerly when plans are off.
   */
  private async forward(f: ForwardCall): Promise<Float32Array> {
    this.assertLive('forward');
    const gpu = this.gpu;
    if (!this.usePlans || !gpu) {
      const x = f.upload();
      try {
        return await this.fetch(() => f.run(x));
      } finally {
        x.dispose();
      }
    }
    let r = this.recorded.get(f.key);
    if (!r) {
      const input = f.upload();
      try {
        const { plan, result } = gpu.capture(() => f.run(input));
        r = { plan, input, output: result };
      } catch (e) {
        input.dispose();
        throw e;
      }
      this.recorded.set(f.key, r);
    } else gpu.writeTensor(r.input, f.data);
    r.plan.run();
    return r.output.readFloat();
  }

  /** How many forwards are recorded (one per tower, batch size and normalisation seen). */
  get recordedForwards(): number {
    return this.recorded.size;
  }

  /** Frees the recorded forwards (their intermediates' memory); later batches record anew. */
  releasePlans(): void {
    for (const r of this.recorded.values()) {
      r.plan.dispose();
      r.input.dispose();
      r.output.dispose();
    }
    this.recorded.clear();
  }

  /** Runs the recorded work and brings the result back, freeing the GPU tensor. */
  private async fetch(make: () => Tensor): Promise<Float32Array> {
    const t = make();
    try {
      return await t.readFloat();
    } finally {
      t.dispose();
    }
  }

  /** Images (any input kind `I`) → embeddings. */
  async encodeImages(images: readonly I[], options: EncodeOptions = {}): Promise<Embeddings> {
    return this.call('encodeImages', async () => {
      if (!Array.isArray(images)) throw new TypeError(`encodeImages: expected an array of images, got ${describeValue(images)}`);
      const opts = encodeOptions('encodeImages', options);
      const normalize = opts.normalize ?? true;
      const bs = opts.batchSize ?? 8;
      const [h, w] = this.imageSize;
      const dim = this.embedDim;
      const out = new Float32Array(images.length * dim);
      for (let i = 0; i < images.length; i += bs) {
        const chunk = images.slice(i, i + bs);
        const batch = new Float32Array(chunk.length * 3 * h * w);
        for (let j = 0; j < chunk.length; j++) batch.set(await this.preprocess(chunk[j], `image ${i + j}`), j * 3 * h * w);
        out.set(await this.forwardImages(batch, chunk.length, normalize, i), i * dim);
        opts.onProgress?.(Math.min(i + bs, images.length), images.length);
      }
      return { data: out, count: images.length, dim };
    });
  }

  /**
   * Model inputs → embeddings: `inputs` holds `count` images as `preprocess` returns them, one
   * after another ([count, 3, H, W]); one forward (count ≤ the largest batch). The path a stream of
   * files takes (each file preprocessed as it arrives); the same forward as `encodeImages`.
   */
  async encodeImageInputs(inputs: Float32Array, count: number, options: { normalize?: boolean } = {}): Promise<Embeddings> {
    return this.call('encodeImageInputs', async () => {
      const [h, w] = this.imageSize;
      if (!Number.isInteger(count) || count < 1 || count > MAX_BATCH) throw new RangeError(`encodeImageInputs: count must be a whole number from 1 to ${MAX_BATCH}, got ${count}`);
      if (!(inputs instanceof Float32Array) || inputs.length !== count * 3 * h * w) throw new RangeError(`encodeImageInputs: expected ${count} × 3 × ${h} × ${w} floats, got ${inputs instanceof Float32Array ? inputs.length : describeValue(inputs)}`);
      const normalize = optionalBoolean('encodeImageInputs', 'normalize', options.normalize) ?? true;
      return { data: await this.forwardImages(inputs, count, normalize, 0), count, dim: this.embedDim };
    });
  }

  private async forwardImages(batch: Float32Array, count: number, normalize: boolean, first: number): Promise<Float32Array> {
    const e = await this.forward(imageForward(this.backend, this.clip, batch, count, this.imageSize, normalize));
    checkFiniteRows(e, this.embedDim, first, 'image');
    return e;
  }

  private requireTokenizer(): SimpleTokenizer {
    if (!this.tokenizer) throw new Error('no tokenizer: pass the BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) as `vocab`');
    return this.tokenizer;
  }

  /** Texts → embeddings (tokenized to the context length). */
  async encodeTexts(texts: readonly string[], options: EncodeOptions = {}): Promise<Embeddings> {
    return this.call('encodeTexts', async () => {
      const opts = encodeOptions('encodeTexts', options);
      if (!Array.isArray(texts)) throw new TypeError(`encodeTexts: expected an array of strings, got ${describeValue(texts)}`);
      const bad = texts.findIndex((t) => typeof t !== 'string');
      if (bad >= 0) throw new TypeError(`encodeTexts: text ${bad} is ${describeValue(texts[bad])}, not a string`);
      if (texts.length === 0) throw new Error('encodeTexts: no texts');
      const tok = this.requireTokenizer();
      const { ids } = tok.tokenize(texts, this.spec.text.contextLength);
      return this.encodeTokens(ids, texts.length, opts);
    });
  }

  /**
   * Token-id rows as arrays (e.g. parsed JSON): integers in the vocabulary, at most the context
   * length per row (shorter rows zero-padded) → embeddings. Anything else is a TokenRowsError
   * naming the row, the column and the value.
   */
  async encodeTokenRows(rows: readonly (readonly number[])[], opts: EncodeOptions = {}, source = 'token rows'): Promise<Embeddings> {
    const { contextLength, vocabSize } = this.spec.text;
    return this.encodeTokens(tokenRows(rows, contextLength, vocabSize, source), rows.length, opts);
  }

  /** Already tokenized rows [count × contextLength] → embeddings. */
  async encodeTokens(ids: Int32Array, count: number, options: EncodeOptions = {}): Promise<Embeddings> {
    return this.call('encodeTokens', async () => {
      const opts = encodeOptions('encodeTokens', options);
      const normalize = opts.normalize ?? true;
      const bs = opts.batchSize ?? 32;
      const ctx = this.spec.text.contextLength;
      if (ids.length !== count * ctx) throw new Error(`encodeTokens: ${ids.length} ids are not ${count} rows of ${ctx}`);
      const dim = this.embedDim;
      const out = new Float32Array(count * dim);
      for (let i = 0; i < count; i += bs) {
        const n = Math.min(bs, count - i);
        const rows = ids.subarray(i * ctx, (i + n) * ctx);
        this.clip.checkTokens(rows, [n, ctx]);
        const e = await this.forward(textForward(this.backend, this.clip, rows, n, normalize, this.exactShortcuts));
        checkFiniteRows(e, dim, i, 'text');
        out.set(e, i * dim);
        opts.onProgress?.(i + n, count);
      }
      return { data: out, count, dim };
    });
  }

  /**
   * Zero-shot text "classifiers": one normalised embedding per label, the mean of its prompt
   * templates' embeddings (renormalised), as in CLIP's zero-shot evaluation.
   */
  async labelEmbeddings(labels: readonly string[], templates: Templates = 'none', onProgress?: (done: number, total: number) => void): Promise<Embeddings> {
    return this.call('labelEmbeddings', async () => {
      checkLabels('labelEmbeddings', labels);
      const tpl = templatesFor(checkTemplates('labelEmbeddings', templates));
      if (!tpl) return this.encodeTexts(labels, { onProgress });
      const prompts = labels.flatMap((l) => tpl.map((t) => t.replaceAll('{}', l)));
      const e = await this.encodeTexts(prompts, { onProgress });
      const dim = e.dim;
      const out = new Float32Array(labels.length * dim);
      for (let i = 0; i < labels.length; i++) {
        let norm = 0;
        for (let d = 0; d < dim; d++) {
          let s = 0;
          for (let t = 0; t < tpl.length; t++) s += e.data[(i * tpl.length + t) * dim + d];
          out[i * dim + d] = s / tpl.length;
          norm += out[i * dim + d] ** 2;
        }
        const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
        for (let d = 0; d < dim; d++) out[i * dim + d] *= inv;
      }
      return { data: out, count: labels.length, dim };
    });
  }

  /** Per image, the labels sorted by softmax(logit_scale · image · label) probability. */
  async classify(images: readonly I[], labels: readonly string[], options: ClassifyOptions = {}): Promise<Prediction[][]> {
    return this.call('classify', async () => {
      // Every argument checked before any work: a bad topK must not cost a 10,000-label forward first.
      const o = optionsObject('classify', options);
      checkList('classify', 'images', images);
      checkLabels('classify', labels);
      const opts: ClassifyOptions = {
        templates: checkTemplates('classify', o.templates),
        topK: optionalInteger('classify', 'topK', o.topK, 1, Number.MAX_SAFE_INTEGER),
        batchSize: optionalInteger('classify', 'batchSize', o.batchSize, 1, MAX_BATCH),
        onProgress: optionalFunction('classify', 'onProgress', o.onProgress),
        onLabelProgress: optionalFunction('classify', 'onLabelProgress', o.onLabelProgress),
      };
      const classes = await this.labelEmbeddings(labels, opts.templates ?? 'none', opts.onLabelProgress);
      const imgs = await this.encodeImages(images, { batchSize: opts.batchSize, onProgress: opts.onProgress });
      return this.predict(imgs, classes, labels, opts.topK);
    });
  }

  /**
   * Cosine similarities (dot products: the embeddings are L2-normalised) of every row of `a` with
   * every row of `b`, [a.count × b.count] row-major, computed on the model's backend (the GPU where
   * there is one), `b` in chunks that fit its largest tensor. What search ranks by.
   */
  async similarity(a: Embeddings, b: Embeddings): Promise<Float32Array> {
    return this.call('similarity', async () => {
      if (a.dim !== b.dim) throw new RangeError(`similarity: embeddings of ${a.dim} and ${b.dim} values`);
      const out = new Float32Array(a.count * b.count);
      const rows = this.embeddingMatrix(b);
      try {
        for (let from = 0; from < a.count; from += 64) {
          const n = Math.min(64, a.count - from);
          out.set(await rows.scores({ data: a.data.subarray(from * a.dim, (from + n) * a.dim), count: n, dim: a.dim }), from * b.count);
        }
      } finally {
        rows.dispose();
      }
      return out;
    });
  }

  /** `rows` held on the model's backend for repeated `scores(queries)` (a search over them): dispose it when done. */
  embeddingMatrix(rows: Embeddings): EmbeddingMatrix {
    this.assertLive('embeddingMatrix');
    return new EmbeddingMatrix(this.backend, rows);
  }

  /**
   * The zero-shot step of `classify` on embeddings already made: per image row, the labels by
   * softmax(logit_scale · image · label) (`classes` from labelEmbeddings, one row per label). What
   * a stream of image batches classifies with, the labels embedded once.
   */
  async predict(images: Embeddings, classes: Embeddings, labels: readonly string[], topK?: number): Promise<Prediction[][]> {
    return this.call('predict', async () => {
      if (classes.count !== labels.length) throw new RangeError(`predict: ${classes.count} label embeddings for ${labels.length} labels`);
      if (images.dim !== classes.dim) throw new RangeError(`predict: image embeddings of ${images.dim} values, label embeddings of ${classes.dim}`);
      const a = this.backend.upload(images.data.subarray(0, images.count * images.dim), [images.count, images.dim]);
      const b = this.backend.upload(classes.data.subarray(0, classes.count * classes.dim), [classes.count, classes.dim]);
      let probs: Float32Array;
      try {
        probs = await this.fetch(() => this.clip.zeroShot(a, b));
      } finally {
        a.dispose();
        b.dispose();
      }
      const k = Math.min(topK ?? labels.length, labels.length);
      return Array.from({ length: images.count }, (_, i) =>
        labels
          .map((label, j) => ({ label, probability: probs[i * labels.length + j] }))
          .sort((x, y) => y.probability - x.probability)
          .slice(0, k),
      );
    });
  }

  /**
   * Compiles the kernels of a one-image and (with a tokenizer) a one-text forward now, reporting
   * each kernel compiled meanwhile (also those compiled ahead while loading that finish now) as
   * `compile` progress, so the first real call does not pay for them. The forwards it records are
   * the ones a batch of one replays later.
   */
  async warmup(onProgress?: OnLoadProgress): Promise<void> {
    const what = this.spec.name;
    let compiled = 0;
    onProgress?.({ phase: 'compile', what, loaded: 0 });
    const stop = this.gpu?.pipelines.onCompile(() => onProgress?.({ phase: 'compile', what, loaded: ++compiled })) ?? (() => {});
    try {
      const [h, w] = this.imageSize;
      await this.encodeImages([{ data: new Uint8Array(h * w * 3).fill(128), width: w, height: h, channels: 3 } as unknown as I]);
      if (this.tokenizer) await this.encodeTexts(['a photo']);
    } finally {
      stop();
    }
    onProgress?.({ phase: 'compile', what, loaded: compiled, total: compiled });
  }

  /**
   * Frees every GPU buffer of the model: weights and recorded forwards. Called while a call is in
   * flight, it frees them once that call settles (the call ends with a ModelDisposedError at its
   * next forward); later calls throw ModelDisposedError.
   */
  dispose(): void {
    if (this.state !== 'live') return;
    this.state = 'disposing';
    if (this.calls === 0) this.release();
  }

  /** Runs `f` once the model's GPU memory is released (at once if it already is). */
  afterRelease(f: () => void): void {
    if (this.state === 'released') f();
    else this.onRelease.push(f);
  }

  private release(): void {
    this.state = 'released';
    this.releasePlans();
    this.store.dispose();
    for (const f of this.onRelease.splice(0)) f();
  }
}

export interface CreateOptions<I = ImageInput> extends ModelOptions<I> {
  /** Where the model runs (a Gpu is one). */
  backend?: Backend;
  /** `backend` under its older name. */
  gpu?: Gpu;
  /** The model, or how to make it from the parsed checkpoint (a config whose ViT stem width is read from the weights). */
  spec: ModelSpec | ((sd: StateDict) => ModelSpec);
  /** Checkpoint bytes: official .pt, safetensors (training or fused form). */
  weights: Uint8Array;
  /** The gzipped BPE vocabulary's bytes (needed for text). */
  vocab?: Uint8Array;
  /** Parse and upload progress. */
  onProgress?: OnLoadProgress;
  /**
   * Towers whose kernels to compile ahead once the spec is known (precompile.ts; default 'none':
   * createModel has compiled them before the checkpoint arrived where the spec was known).
   */
  precompile?: PrecompileTowers;
}

export function createFromBytes<I = ImageInput>(o: CreateOptions<I>): MobileCLIP<I> {
  const source = o.source ?? 'weights';
  const what = typeof o.spec === 'function' ? source : o.spec.name;
  o.onProgress?.({ phase: 'parse', what, loaded: 0, total: 1 });
  const ck = readCheckpoint(o.weights, source, { allowExpandedTensors: o.allowExpandedTensors });
  const spec = typeof o.spec === 'function' ? o.spec(ck.stateDict) : o.spec;
  const backend = o.backend ?? o.gpu;
  if (!backend) throw new TypeError('createFromBytes: no backend given (options.backend)');
  if (backend.kind === 'webgpu') precompileModel(backend as Gpu, spec, o.precompile ?? 'none', o.dtype);
  const tok = o.vocab ? SimpleTokenizer.fromGzip(o.vocab) : null;
  o.onProgress?.({ phase: 'parse', what, loaded: 1, total: 1 });
  o.onProgress?.({ phase: 'upload', what, loaded: 0, total: 1 });
  const model = new MobileCLIP<I>(backend, spec, ck.stateDict, tok, { ...o, source });
  o.onProgress?.({ phase: 'upload', what, loaded: 1, total: 1 });
  return model;
}

/** What createModelAndTransforms returns on every platform; `I` is the platform's image input. */
export interface ModelAndTransforms<I = ImageInput> {
  model: MobileCLIP<I>;
  /** An image input → the model input [3, S, S] (the model's own preprocess). */
  preprocess: (image: I) => Promise<Float32Array>;
  tokenizer: SimpleTokenizer | null;
  /** Destroys the model and, if createModelAndTransforms created its backend, the backend. */
  dispose: () => void;
}

/**
 * Builds the model with `make` and wraps it for createModelAndTransforms; a backend the call
 * created (`ownsBackend`) is destroyed with the model, or at once if building fails.
 */
export function withTransforms<I>(backend: Backend, ownsBackend: boolean, make: () => MobileCLIP<I>): ModelAndTransforms<I> {
  let model: MobileCLIP<I>;
  try {
    model = make();
  } catch (e) {
    if (ownsBackend) backend.destroy();
    throw e;
  }
  return {
    model,
    tokenizer: model.tokenizer,
    preprocess: (image) => model.preprocess(image, typeof image === 'string' ? image : 'image'),
    dispose: () => {
      model.dispose();
      if (ownsBackend) model.afterRelease(() => backend.destroy());
    },
  };
}
