/**
 * A folder through the model at the model's speed? (npm run bench:index): the generated corpus of
 * bench/corpus.ts (--files=2000 JPEGs and PNGs of 0.3 to 12 MP, --broken-share=0.02, --seed=1;
 * cached under .cache/bench-corpus/), S0's real shapes (the s0-full fixture's random weights) on
 * --device=cpu|webgpu (default cpu), batch 8:
 *   1. per stage, per image, on the main thread: read, decode, preprocess (resize, crop, normalise),
 *      medians per size bucket (≤1 MP, 1–4 MP, 12 MP) × format, over the first --stage-sample=60
 *      files of each;
 *   2. model-only images/s: --model-batches=6 forwards of 8 prepared inputs (the model's speed does
 *      not depend on the image), half before and half after pass 3, so drift shows;
 *   3. end to end on the ≤1 MP subset (its first --subset-files=400 files): the stream the CLI runs
 *      (read, decode, preprocess a batch ahead on the decode pool of --decode-threads, default the
 *      CLI's; forward); the ratio to model-only (goal ≥ 0.85); decoding on the main thread too with
 *      --main-thread (default when files ≤ 300);
 *      the stream's own forwards are timed: their median (slower than model-only when decoding
 *      competes for the cores) and the time the model waited for inputs;
 *   4. end to end over the whole corpus through the decode pool: the skipped files and why (they
 *      must be exactly the broken ones), the 10,000-photo estimate for this mix;
 *   peak RSS after each pass.
 * Needs MOBILECLIP_FIXTURES. Writes --out=bench/results/index (.json).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createModelAndTransforms } from '../src/api/node.js';
import { streamImageEmbeddings } from '../src/collection/image-stream.js';
import { decodeImage } from '../src/preprocess/decode.js';
import { preprocessImage } from '../src/preprocess/transform.js';
import { DecodePool, defaultDecodeThreads } from '../src/preprocess/decode-pool.node.js';
import { BUCKETS, type CorpusFile, ensureCorpus } from './corpus.js';
import { median, printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const files = Number(arg('files', '2000'));
const seed = Number(arg('seed', '1'));
const brokenShare = Number(arg('broken-share', '0.02'));
const device = arg('device', 'cpu') as 'cpu' | 'webgpu';
const decodeThreads = Number(arg('decode-threads', String(defaultDecodeThreads())));
const stageSample = Number(arg('stage-sample', '60'));
const subsetFiles = Number(arg('subset-files', '400'));
const modelBatches = Math.max(2, Number(arg('model-batches', '6')));
const mainThread = (process.argv.includes('--main-thread') || files <= 300) && !process.argv.includes('--no-main-thread');
const out = arg('out', 'bench/results/index');
const fixtures = process.env.MOBILECLIP_FIXTURES;
if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES to the shared fixtures folder');
const batch = 8;
const rssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

const corpus = ensureCorpus({ files, seed, brokenShare });
const broken = corpus.files.filter((f) => f.broken);
const totalMB = corpus.files.reduce((s, f) => s + f.bytes, 0) / 1e6;
console.error(
  `corpus: ${corpus.files.length} files (${broken.length} broken), ${(totalMB / 1e3).toFixed(2)} GB in ${corpus.dir}; ` +
    (corpus.generatedSeconds === null ? 'from the cache' : `generated in ${corpus.generatedSeconds.toFixed(0)} s`),
);

const m = await createModelAndTransforms('mobileclip_s0', { weights: join(fixtures, 's0-full', 'model.safetensors'), vocab: false, device });
const model = m.model;
const [h, w] = model.imageSize;
const size = 3 * h * w;

// 1. Per stage, per image, on the main thread: each bucket × format's first files.
const cells = BUCKETS.flatMap((bucket) => (['jpeg', 'png'] as const).map((format) => ({ bucket, format, files: corpus.files.filter((f) => f.bucket === bucket && f.format === format) })));
const stageRows = [];
const inputs: Float32Array[] = []; // model inputs for the model-only pass
for (const c of cells) {
  if (c.files.length === 0) continue;
  const sample = c.files.slice(0, stageSample);
  const read: number[] = [];
  const decode: number[] = [];
  const pre: number[] = [];
  for (const f of sample) {
    let t = performance.now();
    const bytes = readFileSync(f.path);
    read.push(performance.now() - t);
    t = performance.now();
    const img = await decodeImage(bytes, f.path);
    decode.push(performance.now() - t);
    t = performance.now();
    const input = preprocessImage(img, model.pipeline).tensor;
    pre.push(performance.now() - t);
    if (inputs.length < modelBatches * batch) inputs.push(input);
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  stageRows.push({
    bucket: c.bucket,
    format: c.format,
    files: c.files.length,
    timed: sample.length,
    meanMP: round(mean(sample.map((f) => (f.width * f.height) / 1e6)), 2),
    meanFileMB: round(mean(sample.map((f) => f.bytes / 1e6)), 2),
    readMs: round(median(read), 2),
    decodeMs: round(median(decode)),
    preprocessMs: round(median(pre)),
    totalMs: round(median(sample.map((_, i) => read[i] + decode[i] + pre[i]))),
  });
}
printTable(stageRows);
const rssAfterStages = rssMB();

// 2. Model only, at batch 8 on prepared inputs: one warm-up forward, then half the batches here and
// half after pass 3 (the machine's speed drifts; both halves are reported).
while (inputs.length < modelBatches * batch) inputs.push(inputs[inputs.length % Math.max(1, inputs.length)]);
const x = new Float32Array(batch * size);
const forward = async (k: number) => {
  for (let j = 0; j < batch; j++) x.set(inputs[(k * batch + j) % inputs.length], j * size);
  const t = performance.now();
  await model.encodeImageInputs(x, batch);
  return performance.now() - t;
};
await forward(0);
const forwardMs: number[] = [];
for (let k = 0; k < modelBatches / 2; k++) forwardMs.push(await forward(k));

// 3 and 4. End to end: the stream, as embed/classify/index run it. Its forwards are timed too: the
// rest of the pass is the time the model waited for inputs (decoding not hidden behind a forward).
const stream = async (paths: string[], prepare: (p: string) => Promise<Float32Array>) => {
  let embedded = 0;
  const skipped: { path: string; error: string }[] = [];
  const forwards: number[] = []; // full batches (the median)
  let forwardTotalMs = 0; // every batch (the sum)
  const timed = {
    imageSize: model.imageSize,
    encodeImageInputs: async (inputs: Float32Array, count: number, o?: { normalize?: boolean }) => {
      const t = performance.now();
      const r = await model.encodeImageInputs(inputs, count, o);
      const ms = performance.now() - t;
      forwardTotalMs += ms;
      if (count === batch) forwards.push(ms);
      return r;
    },
  };
  const t = performance.now();
  for await (const ev of streamImageEmbeddings(timed, paths, prepare, { batchSize: batch })) {
    if (ev.kind === 'skipped') skipped.push({ path: ev.item, error: ev.error.message });
    else embedded += ev.items.length;
  }
  const seconds = (performance.now() - t) / 1000;
  return { embedded, skipped, seconds, imagesPerSecond: embedded / seconds, forwardMedianMs: forwards.length ? median(forwards) : NaN, waitSeconds: seconds - forwardTotalMs / 1000 };
};
const subset = corpus.files.filter((f) => f.bucket === '≤1 MP').slice(0, subsetFiles).map((f) => f.path);
const pool = new DecodePool(model.pipeline, decodeThreads);
const subsetPool = await stream(subset, (p) => pool.prepare(p));
const subsetMain = mainThread ? await stream(subset, (p) => model.preprocess(p, p)) : null;
const rssAfterSubset = rssMB();
const forwardMsBefore = median(forwardMs);
const after: number[] = [];
for (let k = Math.ceil(modelBatches / 2); k < modelBatches; k++) after.push(await forward(k));
forwardMs.push(...after);
const modelOnly = (batch * 1000) / median(forwardMs);

const whole = await stream(
  corpus.files.map((f) => f.path),
  (p) => pool.prepare(p),
);
await pool.close();
const rssAfterWhole = rssMB();

// The skipped files must be exactly the broken ones.
const byPath = new Map<string, CorpusFile>(corpus.files.map((f) => [f.path, f]));
const skippedPaths = new Set(whole.skipped.map((s) => s.path));
const missed = broken.filter((f) => !skippedPaths.has(f.path)).map((f) => f.path);
const wrong = whole.skipped.filter((s) => !byPath.get(s.path)?.broken).map((s) => `${s.path}: ${s.error}`);
const reasons: Record<string, { count: number; error: string }> = {};
for (const s of whole.skipped) {
  const kind = byPath.get(s.path)?.broken ?? 'not broken';
  reasons[kind] ??= { count: 0, error: s.error.replace(s.path, '<path>') };
  reasons[kind].count++;
}
printTable(Object.entries(reasons).map(([kind, r]) => ({ broken: kind, skipped: r.count, error: r.error })));

const summary = {
  device: model.backend.description,
  files: corpus.files.length,
  broken: broken.length,
  batch,
  decodeThreads,
  modelOnlyImagesPerSecond: round(modelOnly, 2),
  forwardMedianMs: round(median(forwardMs)),
  forwardMedianMsBefore: round(forwardMsBefore),
  forwardMedianMsAfter: round(median(after)),
  subsetFiles: subset.length,
  subsetImagesPerSecond: round(subsetPool.imagesPerSecond, 2),
  subsetRatio: round(subsetPool.imagesPerSecond / modelOnly, 3),
  subsetForwardMedianMs: round(subsetPool.forwardMedianMs),
  subsetModelWaitSeconds: round(subsetPool.waitSeconds),
  subsetSeconds: round(subsetPool.seconds),
  ...(subsetMain ? { subsetMainThreadImagesPerSecond: round(subsetMain.imagesPerSecond, 2), subsetMainThreadRatio: round(subsetMain.imagesPerSecond / modelOnly, 3) } : {}),
  wholeEmbedded: whole.embedded,
  wholeSkipped: whole.skipped.length,
  wholeSeconds: round(whole.seconds),
  wholeImagesPerSecond: round(whole.embedded / whole.seconds, 2),
  wholeForwardMedianMs: round(whole.forwardMedianMs),
  wholeModelWaitSeconds: round(whole.waitSeconds),
  tenThousandPhotosMinutes: round((10000 * whole.seconds) / corpus.files.length / 60),
  peakRssMB: rssAfterWhole,
};
printTable(Object.entries(summary).map(([measure, value]) => ({ measure, value })));
m.dispose();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  `${out}.json`,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      corpus: { dir: corpus.dir, seed, files: corpus.files.length, broken: broken.length, totalMB: round(totalMB), generatedSeconds: corpus.generatedSeconds, variants: countBy(corpus.files.map((f) => f.broken ?? f.variant.replace(/ q\d+/, ''))) },
      stages: stageRows,
      forwardMs: forwardMs.map((v) => round(v)),
      rssMB: { afterStages: rssAfterStages, afterSubset: rssAfterSubset, afterWhole: rssAfterWhole },
      skipped: reasons,
      summary,
    },
    null,
    2,
  ),
);
if (missed.length || wrong.length) {
  console.error(`skipped files differ from the broken ones:\n  not skipped: ${missed.join(', ') || 'none'}\n  skipped but not broken: ${wrong.join('; ') || 'none'}`);
  process.exitCode = 1;
}

function countBy(xs: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of xs.sort()) counts[x] = (counts[x] ?? 0) + 1;
  return counts;
}
