/**
 * How long a 12 MP photo takes to become a model input, per stage, on one thread (npm run
 * bench:decode): decode (libjpeg-turbo in wasm) and resize (Pillow's antialiased resize, the
 * TypeScript reference and the wasm SIMD passes users run) to the model's size, bilinear 256
 * (Apple's transform) and bicubic 224 (open_clip's). Runs are
 * interleaved (every variant once per round), medians reported, so variants compare within one run.
 *
 *   --jpeg=FILE        the JPEG (default: a generated 4000×3000 photo-like image, 4:2:0, quality 90,
 *                      3.5 MB, encoded by the test-only encoder module, test/helpers/jpeg-encoder.ts)
 *   --wasm=A.wasm,B…   decoder builds to compare (default: the built src/preprocess/jpeg-turbo.wasm);
 *                      "total" rows add the first build's decode to the TypeScript resize (before)
 *                      and the last build's to the wasm resize (after), round by round
 *   --rounds=N         rounds (default 9)
 *   --save-jpeg=FILE   also write the JPEG used there (to reuse it with --jpeg)
 * Writes bench/results/decode.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeJpeg } from '../test/helpers/jpeg-encoder.js';
import { decodePng } from '../src/preprocess/png.js';
import { initJpegDecoder, setJpegWasmSource } from '../src/preprocess/image-wasm.js';
import { decodeJpegTurbo } from '../src/preprocess/jpeg-turbo.js';
import { nodeJpegWasm } from '../src/preprocess/jpeg-wasm.node.js';
import { pilResize8Wasm } from '../src/preprocess/pil-resize-wasm.js';
import { pilResize8 } from '../src/preprocess/resize.js';
import { resizedSize } from '../src/preprocess/transform.js';
import { median, printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const rounds = Number(arg('rounds', '9'));

/** A photo-like 4000×3000 JPEG: a fixture photo upscaled, with per-pixel noise for a phone photo's entropy. */
function generatedJpeg(): Uint8Array {
  const fixtures = process.env.MOBILECLIP_FIXTURES;
  if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES (the generated JPEG starts from preprocess/astronaut.png), or pass --jpeg=FILE');
  const png = decodePng(readFileSync(join(fixtures, 'preprocess', 'astronaut.png')), 'astronaut.png');
  const [w, h] = [4000, 3000];
  const rgb = pilResize8(png.data, png.width, png.height, w, h, 3, 'bicubic');
  let seed = 11;
  for (let i = 0; i < rgb.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    rgb[i] = Math.max(0, Math.min(255, rgb[i] + (seed >>> 27) - 16));
  }
  return encodeJpeg(rgb, w, h, { subsampling: '4:2:0', quality: 90 });
}

const jpegPath = arg('jpeg', '');
const jpeg = jpegPath ? new Uint8Array(readFileSync(jpegPath)) : generatedJpeg();
if (arg('save-jpeg', '')) writeFileSync(arg('save-jpeg', ''), jpeg);
const wasmPaths = arg('wasm', '').split(',').filter(Boolean);
const decoders: { name: string; ex: Awaited<ReturnType<typeof initJpegDecoder>>; size: number }[] = [];
for (const path of wasmPaths.length ? wasmPaths : ['']) {
  const bytes = path ? new Uint8Array(readFileSync(path)) : await nodeJpegWasm();
  setJpegWasmSource(async () => bytes);
  decoders.push({ name: path || 'jpeg-turbo.wasm', ex: await initJpegDecoder(), size: bytes.byteLength });
}

// The resize runs in the built module (older builds have no resize kernels).
setJpegWasmSource(nodeJpegWasm);
const resizeModule = await initJpegDecoder();

const first = decodeJpegTurbo(decoders[0].ex, jpeg, 'bench', 1e9);
const { width, height } = first;
for (const d of decoders.slice(1)) {
  const other = decodeJpegTurbo(d.ex, jpeg, 'bench', 1e9).data;
  if (!other.every((v, i) => v === first.data[i])) throw new Error(`${d.name} decodes to other pixels than ${decoders[0].name}`);
}
console.error(`${width}×${height} JPEG, ${(jpeg.byteLength / 1e6).toFixed(2)} MB; ${rounds} interleaved rounds`);

interface Variant {
  name: string;
  run: () => void;
}
const variants: Variant[] = [];
for (const d of decoders) variants.push({ name: `decode ${d.name}`, run: () => void decodeJpegTurbo(d.ex, jpeg, 'bench', 1e9) });
const resizes: [string, number, 'bilinear' | 'bicubic'][] = [
  ['resize bilinear 256', 256, 'bilinear'],
  ['resize bicubic 224', 224, 'bicubic'],
];
for (const [name, size, filter] of resizes) {
  const [rw, rh] = resizedSize(width, height, size);
  variants.push({ name: `${name} (TypeScript)`, run: () => void pilResize8(first.data, width, height, rw, rh, 3, filter) });
  variants.push({
    name: `${name} (wasm SIMD)`,
    run: () => {
      if (!pilResize8Wasm(resizeModule, first.data, width, height, rw, rh, 3, filter)) throw new Error('the wasm resize ran out of memory');
    },
  });
}

const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (const v of variants) v.run(); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const t = performance.now();
    v.run();
    times.get(v.name)!.push(performance.now() - t);
  }
}
for (const [name] of resizes) {
  const sum = (a: string, b: string) => times.get(a)!.map((t, i) => t + times.get(b)![i]);
  times.set(`total ${name}: before`, sum(`decode ${decoders[0].name}`, `${name} (TypeScript)`));
  times.set(`total ${name}: after`, sum(`decode ${decoders.at(-1)!.name}`, `${name} (wasm SIMD)`));
}
const rows = [...times].map(([stage, t]) => ({ stage, medianMs: Number(median(t).toFixed(1)), minMs: Number(Math.min(...t).toFixed(1)) }));
printTable(rows);
printTable(decoders.map((d) => ({ decoder: d.name, wasmBytes: d.size })));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/decode.json', JSON.stringify({ date: new Date().toISOString(), width, height, jpegBytes: jpeg.byteLength, rounds, stages: rows, decoders: decoders.map((d) => ({ name: d.name, bytes: d.size })) }, null, 2));
