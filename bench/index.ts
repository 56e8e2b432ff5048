/**
 * A folder through the model at the model's speed? (npm run bench:index): a generated corpus of
 * --files=200 images (PNG photos-like of 0.3 to 1 MP, the fixture JPEGs, 2 % broken), S0's real
 * shapes (the s0-full fixture's random weights) on --device=cpu|webgpu (default cpu), batch 8:
 *   - per stage, per image: read, decode, preprocess (resize, crop, normalise); per batch: forward;
 *   - model-only images/s: forwards over inputs preprocessed beforehand;
 *   - end-to-end images/s: the stream the CLI runs (read, decode, preprocess a batch ahead, forward),
 *     decoding on the main thread, then on the decode pool (--decode-threads, default the CLI's);
 *   - the ratio (goal: ≥ 0.85 for images ≤ 1 MP), peak RSS, and the 10,000-photo estimate.
 * Needs MOBILECLIP_FIXTURES. Writes bench/results/index.json.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { createModelAndTransforms } from '../src/api/node.js';
import { streamImageEmbeddings } from '../src/collection/image-stream.js';
import { decodeImage } from '../src/preprocess/decode.js';
import { preprocessImage } from '../src/preprocess/transform.js';
import { DecodePool, defaultDecodeThreads } from '../src/preprocess/decode-pool.node.js';
import { median, printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const files = Number(arg('files', '200'));
const device = arg('device', 'cpu') as 'cpu' | 'webgpu';
const decodeThreads = Number(arg('decode-threads', String(defaultDecodeThreads())));
const fixtures = process.env.MOBILECLIP_FIXTURES;
if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES to the shared fixtures folder');

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-bench-index-'));
try {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const paths: string[] = [];
  let megapixels = 0;
  for (let i = 0; i < files; i++) {
    const path = join(dir, `img${String(i).padStart(5, '0')}`);
    if (i % 50 === 49) {
      writeFileSync(`${path}.png`, readFileSync(join(fixtures, 'preprocess', 'coffee.png')).subarray(0, 3000)); // broken: 2 %
      paths.push(`${path}.png`);
      continue;
    }
    if (i % 3 === 2) {
      copyFileSync(join(fixtures, 'preprocess', 'photo_q90.jpg'), `${path}.jpg`);
      paths.push(`${path}.jpg`);
      continue;
    }
    const mp = 0.3 + 0.7 * rand();
    const aspect = [4 / 3, 3 / 4, 1][i % 3];
    const w = Math.round(Math.sqrt(mp * 1e6 * aspect));
    const h = Math.round((mp * 1e6) / w);
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const n = (rand() * 24) | 0;
        const o = (y * w + x) * 3;
        rgb[o] = ((x * 255) / w + n) & 255;
        rgb[o + 1] = ((y * 255) / h + n) & 255;
        rgb[o + 2] = (((x + y) * 127) / (w + h) + i * 13) & 255;
      }
    writeFileSync(`${path}.png`, encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }));
    paths.push(`${path}.png`);
    megapixels += mp;
  }
  console.error(`corpus: ${files} files in ${dir}`);

  const m = await createModelAndTransforms('mobileclip_s0', { weights: join(fixtures, 's0-full', 'model.safetensors'), vocab: false, device });
  const model = m.model;
  const [h, w] = model.imageSize;
  const size = 3 * h * w;
  const batch = 8;
  // Per stage, per image (the broken ones left out).
  const read: number[] = [];
  const decode: number[] = [];
  const pre: number[] = [];
  const inputs: Float32Array[] = [];
  for (const p of paths) {
    let t = performance.now();
    const bytes = readFileSync(p);
    read.push(performance.now() - t);
    t = performance.now();
    let img;
    try {
      img = await decodeImage(bytes, p);
    } catch {
      continue;
    }
    decode.push(performance.now() - t);
    t = performance.now();
    inputs.push(preprocessImage(img, model.pipeline).tensor);
    pre.push(performance.now() - t);
  }
  // Model only: the same inputs, batch by batch (one warm-up batch first).
  const run = async (from: number) => {
    const n = Math.min(batch, inputs.length - from);
    const x = new Float32Array(n * size);
    for (let j = 0; j < n; j++) x.set(inputs[from + j], j * size);
    await model.encodeImageInputs(x, n);
  };
  await run(0);
  const forward: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    const t = performance.now();
    await run(i);
    forward.push(performance.now() - t);
  }
  const modelOnly = inputs.length / ((performance.now() - t0) / 1000);
  // End to end: the stream, as embed/classify/index run it — decoding on the main thread, then on the pool.
  let embedded = 0;
  let skipped = 0;
  const stream = async (prepare: (p: string) => Promise<Float32Array>) => {
    embedded = 0;
    skipped = 0;
    const t = performance.now();
    for await (const ev of streamImageEmbeddings(model, paths, prepare, { batchSize: batch })) {
      if (ev.kind === 'skipped') skipped++;
      else embedded += ev.items.length;
    }
    return embedded / ((performance.now() - t) / 1000);
  };
  const mainThread = await stream((p) => model.preprocess(p, p));
  const pool = new DecodePool(model.pipeline, decodeThreads);
  const endToEnd = await stream((p) => pool.prepare(p));
  await pool.close();
  const rssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const rows = [
    { stage: 'read (per image)', medianMs: Number(median(read).toFixed(2)) },
    { stage: 'decode (per image)', medianMs: Number(median(decode).toFixed(1)) },
    { stage: 'preprocess (per image)', medianMs: Number(median(pre).toFixed(1)) },
    { stage: `forward (per batch of ${batch})`, medianMs: Number(median(forward).toFixed(1)) },
  ];
  printTable(rows);
  const summary = { device: model.backend.description, files, embedded, skipped, meanMegapixels: Number((megapixels / Math.max(1, files - files / 3)).toFixed(2)), modelOnlyImagesPerSecond: Number(modelOnly.toFixed(2)), endToEndMainThreadImagesPerSecond: Number(mainThread.toFixed(2)), decodeThreads, endToEndImagesPerSecond: Number(endToEnd.toFixed(2)), ratio: Number((endToEnd / modelOnly).toFixed(3)), peakRssMB: rssMB, tenThousandPhotosMinutes: Number((10000 / endToEnd / 60).toFixed(1)) };
  printTable([summary]);
  m.dispose();
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/index.json', JSON.stringify({ date: new Date().toISOString(), stages: rows, summary }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
