/**
 * `mobileclip embed`, `classify` and `preprocess`. A model's files are its published ones,
 * downloaded once into the cache (not --offline); a repository checkout's weights/ folder, laid
 * out by weights/fetch.sh (weights/mobileclip_s0.safetensors, weights/bpe_simple_vocab_16e6.txt.gz),
 * is read instead where those files exist under the working directory.
 */
import { existsSync } from 'node:fs';
import { readTextFile } from '../io/read-file.js';
import { basename, dirname, join } from 'node:path';
import { openClipHubRepo } from '../models/openclip-specs.js';
import { isHubRef } from '../api/sources.js';
import { offlineFromEnv, resolveSpec } from '../api/node.js';
import { encode as encodePng } from 'fast-png';
import { createModelAndTransforms, readImageFile, type ModelAndTransforms } from '../api/node.js';
import { float32Tensor } from '../io/host-tensor.js';
import { writeSafetensors } from '../io/safetensors.js';
import { checkOutputPath, writeFileAtomic } from '../io/write-output.js';
import { applePipeline, APPLE_PREPROCESSING, pipelineAt, preprocessImage } from '../preprocess/transform.js';
import { parseImageSize } from '../preprocess/image-size.js';
import { withImageSize } from '../models/model-specs.js';
import type { Templates } from '../api/templates.js';
import type { PrecompileTowers } from '../api/precompile.js';
import { checkDevice } from '../api/backend-choice.js';
import { type Args, type CommandSpec, type OptionSpec, option, parsedOption, UsageError } from './args.js';
import { EXPANDED_OPTION } from './checkpoint-commands.js';
import { Progress } from './progress.js';
import { DecodePool, defaultDecodeThreads } from '../preprocess/decode-pool.node.js';
import type { Pipeline } from '../preprocess/transform.js';
import { gatherImages, nothingLeft, SkipTally } from './image-inputs.js';
import { streamImageEmbeddings } from '../collection/image-stream.js';
import type { Prediction } from '../api/mobileclip.js';

/** The vocabulary a repository checkout keeps (weights/fetch.sh), read instead of the published one where it exists. */
export const LOCAL_VOCAB = 'weights/bpe_simple_vocab_16e6.txt.gz';

export const MODEL_OPTIONS: Record<string, OptionSpec> = {
  model: { type: 'string', value: 'NAME', help: 'mobileclip_s0 (default), s1, s2, b, blt, or open_clip\'s MobileCLIP-S1 … MobileCLIP2-L-14 (mobileclip list models)' },
  config: { type: 'string', value: 'FILE', help: "the model from an open_clip_config.json (weights default to open_clip_model.safetensors beside it) or a reference config.json" },
  weights: { type: 'string', value: 'FILE|URL', help: 'checkpoint (.pt or .safetensors; a path, an http(s) URL or hf-hub:<org>/<repo>); default: the published checkpoint, downloaded once into the cache (./weights/mobileclip_<model>.safetensors or ./weights/<hub repo>/open_clip_model.safetensors instead, where that file exists)' },
  vocab: { type: 'string', value: 'FILE|URL', help: `BPE vocabulary (default: the published one, downloaded once into the cache; ./${LOCAL_VOCAB} instead, where it exists)` },
  offline: { type: 'boolean', help: 'never download (also MOBILECLIP_OFFLINE=1): a file that is neither local nor cached is an error naming it' },
  device: { type: 'string', value: 'auto|webgpu|cpu', help: 'where the model runs (default auto: WebGPU where there is an adapter, else the CPU, saying so on stderr)' },
  dtype: { type: 'string', value: 'f32|f16', help: 'GPU storage of weights and activations (default f32; f16 needs WebGPU with shader-f16)' },
  'allow-non-finite': { type: 'boolean', help: 'load a checkpoint with NaN/Inf values (a non-finite output is still an error)' },
  'allow-expanded-tensors': EXPANDED_OPTION,
  verbose: { type: 'boolean', help: 'when the checkpoint does not fit the model, list every missing, unexpected and mis-shaped key (default: the first few)' },
  'image-size': { type: 'string', value: 'N|HxW', help: "run the image tower at this input size (height x width), as open_clip's force_image_size: a timm ViT's positional table is resampled as timm does it, preprocessing follows" },
};

// Each tower's first forward in a process compiles its GPU kernels: say so, it is most of the wait.
export const firstForward = (m: { model: { gpu: unknown } }) => (m.model.gpu ? ' (the first forward compiles the GPU kernels)' : ' (on the CPU)');

export const list = (a: Args, k: string): string[] => a.multi.get(k) ?? [];

export const STRICT_OPTION: OptionSpec = { type: 'boolean', help: 'stop at the first input that cannot be used (missing, not an image, broken) instead of skipping it' };
export const DECODE_THREADS_OPTION: OptionSpec = { type: 'string', value: 'N', help: 'worker threads that decode and preprocess images while the model runs (default: the cores but one, at most 4; 0: on the main thread)' };

/** --decode-threads: 0 to 64. */
export function parseDecodeThreads(v: string): number {
  if (!/^\d{1,2}$/.test(v) || Number(v) > 64) throw new UsageError(`--decode-threads takes a whole number from 0 to 64, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** The decode pool the options ask for (null: decode on the main thread). */
export function decodePool(a: Args, pipeline: Pipeline): DecodePool | null {
  const n = parsedOption(a, 'decode-threads', parseDecodeThreads) ?? defaultDecodeThreads();
  return n > 0 ? new DecodePool(pipeline, n) : null;
}

export const BATCH_OPTION: OptionSpec = { type: 'string', value: 'N', help: 'images (or texts) per forward (default 8 images, 32 texts)' };

/** --batch-size: a whole number from 1 to 256. */
export function parseBatch(v: string): number {
  if (!/^[1-9]\d{0,2}$/.test(v) || Number(v) > 256) throw new UsageError(`--batch-size takes a whole number from 1 to 256, got ${JSON.stringify(v)}`);
  return Number(v);
}


/**
 * The model, checkpoint and vocabulary the model options name (with weights/fetch.sh's defaults).
 * `weights`/`vocab` are undefined where the default file is missing: the published one is used.
 */
export function modelPaths(a: Args): { model: string; weights: string | undefined; vocab: string | undefined } {
  const paths = localModelPaths(a);
  const local = (f: string | undefined, given: boolean) => (given || f === undefined || existsSync(f) ? f : undefined);
  return { model: paths.model, weights: local(paths.weights, a.flags.has('weights') || a.flags.has('config')), vocab: vocabPath(a) };
}

/** --vocab as given, else the local default file where it exists; undefined: the published vocabulary. */
export function vocabPath(a: Args): string | undefined {
  return option(a, 'vocab') ?? (existsSync(LOCAL_VOCAB) ? LOCAL_VOCAB : undefined);
}

function localModelPaths(a: Args): { model: string; weights: string | undefined; vocab: string } {
  const config = option(a, 'config');
  if (config && a.flags.has('model')) throw new UsageError('give --model or --config, not both');
  const model = config ?? option(a, 'model') ?? 'mobileclip_s0';
  const vocab = option(a, 'vocab') ?? LOCAL_VOCAB;
  const given = option(a, 'weights');
  if (given) return { model, weights: given, vocab };
  if (isHubRef(model)) return { model, weights: undefined, vocab };
  if (config) {
    if (basename(config) !== 'open_clip_config.json') throw new UsageError(`--weights is required with --config ${config} (only an open_clip_config.json has a default: open_clip_model.safetensors beside it)`);
    return { model, weights: join(dirname(config), 'open_clip_model.safetensors'), vocab };
  }
  // weights/fetch.sh's layout: weights/<hub repo name>/open_clip_model.safetensors.
  const repo = openClipHubRepo(model);
  if (repo) return { model, weights: `weights/${repo.split('/')[1]}/open_clip_model.safetensors`, vocab };
  return { model, weights: `weights/mobileclip_${model.replace(/^mobileclip_/, '')}.safetensors`, vocab };
}

/** The files `open` reads: an output must not be one of them. */
export function modelInputs(a: Args): string[] {
  const { model, weights, vocab } = modelPaths(a);
  return [weights, vocab, ...(model.endsWith('.json') ? [model] : [])].filter((f): f is string => f !== undefined);
}

/** `precompile`: the towers the command runs, in the order it runs them (compiled while loading). */
export async function open(a: Args, needVocab: boolean, progress: Progress, precompile: PrecompileTowers): Promise<ModelAndTransforms> {
  const paths = modelPaths(a);
  const { model, weights } = paths;
  // A missing default file means the published one (true); a given one is used as given.
  const vocab = needVocab || a.flags.has('vocab') ? (paths.vocab ?? true) : false;
  const dtype = option(a, 'dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype takes f32 or f16, got ${dtype}`);
  const offline = a.flags.has('offline') || offlineFromEnv();
  const imageSize = parsedOption(a, 'image-size', parseImageSize);
  const device = parsedOption(a, 'device', (v) => checkDevice(v, '--device'));
  const load = () =>
    createModelAndTransforms(model, { weights, vocab, dtype, offline, precompile, imageSize, device, onNotice: (line) => progress.notice(line), onProgress: progress.load(), allowNonFinite: a.flags.has('allow-non-finite'), allowExpandedTensors: a.flags.has('allow-expanded-tensors') });
  try {
    const m = await progress.phase(`loading ${weights ?? `${model} (published checkpoint)`}`, load);
    const gpu = m.model.gpu;
    if (gpu) progress.watchCompiles(gpu.pipelines);
    return m;
  } catch (e) {
    if (e instanceof Error && e.name === 'OfflineError') {
      // The published files are missing: say the one command that fetches them (an npm user has no weights/fetch.sh).
      const published = weights === undefined || (paths.vocab === undefined && vocab === true);
      if (published) e.message += `\n(once online, \`mobileclip download ${model}\` puts the model's published files in the cache)`;
    }
    throw e;
  }
}

export const classifySpec: CommandSpec = {
  name: 'classify',
  synopsis: 'IMAGE… --labels "cat,dog,…" | "label one|label, two" | @labels.txt [--top K] [--templates none|photo|ensemble] [--json | --jsonl] [model options]',
  summary: 'Zero-shot classification: per image, the labels by softmax(logit_scale · image · label) probability. An IMAGE is a PNG or JPEG file, a directory (walked for them), a glob, @list.txt or - (paths from stdin).',
  positionals: { min: 1, max: Infinity },
  options: {
    labels: { type: 'string', value: 'LIST', help: "labels separated by ',' (or by '|' when a label has a comma), or @file with one per line" },
    top: { type: 'string', value: 'K', help: 'show the K most likely labels (default all)' },
    templates: { type: 'string', value: 'none|photo|ensemble', help: 'prompt templates: the label as is, "a photo of a {}.", or the CLIP ensemble (default none)' },
    json: { type: 'boolean', help: 'the predictions as one JSON document at the end' },
    jsonl: { type: 'boolean', help: "one JSON line per image as soon as its batch is done (skipped images too, with the reason)" },
    strict: STRICT_OPTION,
    'batch-size': BATCH_OPTION,
    'decode-threads': DECODE_THREADS_OPTION,
    ...MODEL_OPTIONS,
  },
};

export async function classify(a: Args): Promise<void> {
  const labelsArg = option(a, 'labels');
  if (!labelsArg) throw new UsageError(`--labels is required: usage: mobileclip classify ${classifySpec.synopsis}`);
  if (a.flags.has('json') && a.flags.has('jsonl')) throw new UsageError('give --json (one document at the end) or --jsonl (a line per image as it is done), not both');
  // One label per line in @file; otherwise separated by '|' when present (labels with commas), else by ','.
  const labels = (labelsArg.startsWith('@') ? (await readTextFile(labelsArg.slice(1), 'labels')).split('\n') : labelsArg.split(labelsArg.includes('|') ? '|' : ','))
    .map((l) => l.trim())
    .filter(Boolean);
  if (labels.length === 0) throw new UsageError('--labels: no labels given');
  const templates = (option(a, 'templates') ?? 'none') as Templates;
  if (!['none', 'photo', 'ensemble'].includes(templates as string)) throw new UsageError(`--templates must be none, photo or ensemble, got ${templates}`);
  const topText = option(a, 'top');
  if (topText !== undefined && !/^[1-9]\d{0,8}$/.test(topText)) throw new UsageError(`--top takes a whole number from 1 (how many labels to show per image), got ${JSON.stringify(topText)}`);
  const top = topText === undefined ? labels.length : Number(topText);
  const batchSize = parsedOption(a, 'batch-size', parseBatch);
  const progress = Progress.for(a);
  const tally = new SkipTally(a.flags.has('strict'), (line) => progress.notice(line));
  // Every input found (missing ones reported) before the model loads; each decoded only when its batch is near.
  const files = await gatherImages(a.positional, tally);
  if (files.length === 0) throw nothingLeft('image', tally);
  const m = await open(a, true, progress, 'both'); // classify embeds the labels, then the images
  try {
    const classes = await progress.phase(`embedding ${labels.length} label${labels.length > 1 ? 's' : ''}${firstForward(m)}`, () => m.model.labelEmbeddings(labels, templates, progress.bar('label prompts')));
    const all: { file: string; predictions: Prediction[] }[] = [];
    const bar = progress.bar('images');
    let done = 0;
    let classified = 0;
    const pool = decodePool(a, m.model.pipeline);
    try {
      await progress.phase(`classifying ${files.length} image${files.length > 1 ? 's' : ''} × ${labels.length} label${labels.length > 1 ? 's' : ''}`, async () => {
        for await (const ev of streamImageEmbeddings(m.model, files, (f) => (pool ? pool.prepare(f) : m.model.preprocess(f, f)), { batchSize })) {
          done += ev.kind === 'skipped' ? 1 : ev.items.length;
          bar?.(done, files.length);
          if (ev.kind === 'skipped') {
            const why = tally.skip(ev.item, ev.error);
            if (a.flags.has('jsonl')) console.log(JSON.stringify({ file: ev.item, skipped: why }));
            continue;
          }
          const preds = await m.model.predict(ev.embeddings, classes, labels, top);
          classified += ev.items.length;
          ev.items.forEach((file, i) => {
            if (a.flags.has('json')) all.push({ file, predictions: preds[i] });
            else if (a.flags.has('jsonl')) console.log(JSON.stringify({ file, predictions: preds[i] }));
            else {
              console.log(file);
              for (const p of preds[i]) console.log(`  ${(100 * p.probability).toFixed(2).padStart(6)}%  ${p.label}`);
            }
          });
        }
      });
    } finally {
      await pool?.close();
    }
    if (classified === 0) throw nothingLeft('image', tally);
    if (a.flags.has('json')) console.log(JSON.stringify(all));
    if (tally.count > 0 || progress.enabled) progress.notice(`classified ${classified} image${classified === 1 ? '' : 's'}${tally.count ? `; ${tally.summary()}` : ''}`);
  } finally {
    m.dispose();
  }
}

export const preprocessSpec: CommandSpec = {
  name: 'preprocess',
  synopsis: 'IMAGE --out FILE.safetensors|FILE.png [--model NAME | --config FILE] [--image-size N|HxW] [--from-rgb]',
  summary: "A model's preprocessing, PIL-exact: Apple's (bilinear resize of the shorter side to N, centre crop; default N 256) or, with --model/--config, the model's own (open_clip's: bilinear or bicubic, mean/std). Writes the crop's pixels and, in .safetensors, the model input 'image' [1,3,H,W] float32.",
  positionals: { min: 1, max: 1 },
  options: {
    'image-size': { type: 'string', value: 'N|HxW', help: "the input size (height x width): of Apple's transform (default 256), or the model's at another size as open_clip's force_image_size makes it" },
    size: { type: 'string', value: 'N', help: "the same as --image-size N" },
    model: { type: 'string', value: 'NAME', help: "the preprocessing of this model (mobileclip list models)" },
    config: { type: 'string', value: 'FILE', help: "the preprocessing of an open_clip_config.json or reference config.json" },
    'from-rgb': { type: 'boolean', help: "open_clip models: convert to RGB before resizing (Apple's documented usage) instead of after the crop" },
    out: { type: 'string', value: 'FILE', help: 'FILE.safetensors (pixels and model input) or FILE.png (pixels)' },
  },
};

export async function preprocess(a: Args): Promise<void> {
  const [file] = a.positional;
  const out = option(a, 'out');
  if (!out) throw new UsageError(`--out is required: usage: mobileclip preprocess ${preprocessSpec.synopsis}`);
  const named = option(a, 'config') ?? option(a, 'model');
  if (option(a, 'config') && option(a, 'model')) throw new UsageError('give --model or --config, not both');
  if (a.flags.has('size') && a.flags.has('image-size')) throw new UsageError('give --size or --image-size, not both');
  const size = parsedOption(a, a.flags.has('size') ? 'size' : 'image-size', parseImageSize);
  checkOutputPath(out, [file, ...(option(a, 'config') ? [option(a, 'config')!] : [])]);
  let pipe = applePipeline(size ?? 256);
  if (named) {
    let spec = await resolveSpec(named);
    if (size) spec = withImageSize(spec, size);
    pipe = pipelineAt(spec.preprocessing ?? APPLE_PREPROCESSING, spec.imageSize);
    if (a.flags.has('from-rgb')) pipe = { ...pipe, order: 'rgb-first' };
  } else if (a.flags.has('from-rgb')) throw new UsageError('--from-rgb applies to a model\'s open_clip preprocessing (--model/--config)');
  const [h, w] = pipe.size;
  const img = await readImageFile(file);
  const r = preprocessImage(img, pipe);
  if (out.endsWith('.png')) {
    const hwc = new Uint8Array(h * w * 3);
    for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) hwc[i * 3 + c] = r.pixels[c * h * w + i];
    await writeFileAtomic(out, encodePng({ width: w, height: h, data: hwc, channels: 3, depth: 8 }));
  } else {
    await writeFileAtomic(
      out,
      writeSafetensors(
        new Map([
          ['pixels', { dtype: 'U8', shape: [3, h, w], data: r.pixels }],
          ['image', float32Tensor(r.tensor, [1, 3, h, w])],
        ]),
        { format: 'pt', source: file, mode: img.mode, resized: `${r.resizedWidth}x${r.resizedHeight}`, crop: `${r.cropLeft},${r.cropTop}`, pipeline: JSON.stringify(pipe) },
      ),
    );
  }
  console.log(`${file} (${img.mode} ${img.width}×${img.height}) → resized ${r.resizedWidth}×${r.resizedHeight}, crop at (${r.cropLeft}, ${r.cropTop}), ${h}×${w} → ${out}`);
}
