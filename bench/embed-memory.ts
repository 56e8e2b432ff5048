/**
 * Peak memory of `mobileclip embed DIR` against the number of files (npm run bench:embed-memory):
 *   --counts=30,300  --size=4000x3000  --format=png|jpeg  --fixture=clip-tiny  --device=cpu
 *   [--out=bench/results/embed-memory, or embed-memory-jpeg with --format=jpeg]
 * Writes one photo-sized image — a PNG (noise over gradients: it does not compress away), or with
 * --format=jpeg a phone photo as bench:index's corpus makes them (bench/corpus.ts: photo-like
 * content, 4:2:0, quality 90) — hard-links it N times into a folder (no disk cost; each link is its
 * own path, so nothing is deduplicated), and runs the real CLI over the folder under /usr/bin/time,
 * which reports the peak RSS of the process tree.
 * The streamed pipeline decodes at most one batch ahead of the model, so the peak should not grow
 * with N. Needs MOBILECLIP_FIXTURES (the model is a fixture: random weights, real code path).
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { encodeJpeg } from '../test/helpers/jpeg-encoder.js';
import { photoPixels, prng } from './corpus.js';
import { printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const counts = arg('counts', '30,300').split(',').map(Number);
const [width, height] = arg('size', '4000x3000').split('x').map(Number);
const format = arg('format', 'png');
if (format !== 'png' && format !== 'jpeg') throw new Error(`--format=${format}: png or jpeg`);
const ext = format === 'png' ? 'png' : 'jpg';
const fixture = arg('fixture', 'clip-tiny');
const device = arg('device', 'cpu');
const fixtures = process.env.MOBILECLIP_FIXTURES;
if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES to the shared fixtures folder');

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-embed-memory-'));
try {
  const photo = join(dir, `photo.${ext}`);
  writeFileSync(photo, format === 'png' ? gradientPng() : encodeJpeg(photoPixels(width, height, 3, prng(12345)), width, height, { subsampling: '4:2:0', quality: 90 }));
  const rows = [];
  for (const n of counts) {
    const folder = join(dir, `n${n}`);
    mkdirSync(folder);
    for (let i = 0; i < n; i++) linkSync(photo, join(folder, `img${String(i).padStart(5, '0')}.${ext}`));
    const cli = resolve('bin/mobileclip.mjs');
    const model = ['--config', join(fixtures, fixture, 'config.json'), '--weights', join(fixtures, fixture, 'model.safetensors')];
    const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, cli, 'embed', folder, ...model, '--device', device, '--out', join(dir, `n${n}.safetensors`), '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`embed over ${n} files failed (${r.status}):\n${r.stderr}`);
    const [kb, seconds] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    rows.push({ files: n, format, megapixels: (width * height) / 1e6, fileMB: Number((statSync(photo).size / 1e6).toFixed(2)), peakRssMB: Math.round(kb / 1024), seconds, imagesPerSecond: Number((n / seconds).toFixed(2)) });
    console.error(`${n} files: peak RSS ${(kb / 1024).toFixed(0)} MB, ${seconds} s`);
    rmSync(folder, { recursive: true });
  }
  printTable(rows);
  const first = rows[0].peakRssMB;
  const growth = Math.max(...rows.map((r) => r.peakRssMB)) / first - 1;
  console.log(`peak RSS growth from ${rows[0].files} to ${rows.at(-1)!.files} files: ${(100 * growth).toFixed(1)} %`);
  const out = arg('out', `bench/results/embed-memory${format === 'jpeg' ? '-jpeg' : ''}`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ date: new Date().toISOString(), fixture, device, format, width, height, rows, growth }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** A photo-like PNG: smooth gradients plus noise, so it is ~photo-sized and decoding is real work. */
function gradientPng(): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const n = (seed >>> 24) & 31;
      const i = (y * width + x) * 3;
      rgb[i] = ((x * 255) / width + n) & 255;
      rgb[i + 1] = ((y * 255) / height + n) & 255;
      rgb[i + 2] = (((x + y) * 127) / (width + height) + 2 * n) & 255;
    }
  return encodePng({ width, height, data: rgb, channels: 3, depth: 8 });
}
