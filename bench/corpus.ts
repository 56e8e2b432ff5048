/**
 * A generated photo collection for the benchmarks (bench:index, bench:embed-memory): N JPEG and PNG
 * files made deterministically from a seed, in a realistic mix —
 *   - sizes: 60 % of 0.3–1 MP, 30 % of 2–4 MP, 10 % phone photos of 12 MP (4000×3000 or 3000×4000);
 *   - JPEG (quality 85–95; 4:2:0 mostly, some 4:4:4, progressive, grayscale) encoded by libjpeg-turbo's
 *     tj3Compress8 (the test-only jpeg-turbo-codec.wasm, test/helpers/jpeg-encoder.ts); PNG (RGB, some
 *     RGBA and grey) by fast-png; 12 MP photos are JPEGs but for a tenth;
 *   - photo-like content (smooth colour fields, shapes with hard edges, texture, sensor noise), so
 *     the files are photo-sized and decoding is real work, not flat colour;
 *   - a share (default 2 %, at least one) of broken files of four kinds in turn: a truncated JPEG, a
 *     truncated PNG, a zero-byte .jpg, a text file named .jpg.
 * Cached under .cache/bench-corpus/<hash of the parameters and this file>/ (git-ignored): the folder
 * is written beside its final name and renamed into place with its manifest, so a generation cut off
 * halfway is never reused.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { encodeJpeg, type EncodeOptions } from '../test/helpers/jpeg-encoder.js';
import { rng } from '../test/helpers/random.js';

export type Bucket = '≤1 MP' | '1–4 MP' | '12 MP';
export const BUCKETS: readonly Bucket[] = ['≤1 MP', '1–4 MP', '12 MP'];
export type BrokenKind = 'truncated JPEG' | 'truncated PNG' | 'zero-byte .jpg' | 'text named .jpg';
const BROKEN_KINDS: readonly BrokenKind[] = ['truncated JPEG', 'truncated PNG', 'zero-byte .jpg', 'text named .jpg'];

export interface CorpusFile {
  /** Absolute path. */
  path: string;
  format: 'jpeg' | 'png';
  /** How it was encoded ("jpeg 4:2:0 q90 progressive", "png RGBA"), or how it is broken. */
  variant: string;
  width: number;
  height: number;
  /** The size bucket of a decodable file; null for a broken one. */
  bucket: Bucket | null;
  bytes: number;
  broken: BrokenKind | null;
}

export interface Corpus {
  dir: string;
  files: CorpusFile[];
  /** Seconds it took to generate; null when it was found in the cache. */
  generatedSeconds: number | null;
}

export interface CorpusOptions {
  files: number;
  seed?: number;
  /** Share of broken files (default 0.02; at least one when > 0). */
  brokenShare?: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** The corpus for these options, generated unless the cache has it. */
export function ensureCorpus(o: CorpusOptions): Corpus {
  const params = { files: o.files, seed: o.seed ?? 1, brokenShare: o.brokenShare ?? 0.02 };
  if (!Number.isInteger(params.files) || params.files < 1) throw new RangeError(`corpus: --files must be a positive integer, not ${o.files}`);
  const hash = createHash('sha256').update(JSON.stringify(params)).update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);
  const dir = join(root, '.cache', 'bench-corpus', hash);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const files = (JSON.parse(readFileSync(manifest, 'utf8')) as CorpusFile[]).map((f) => ({ ...f, path: join(dir, f.path) }));
    return { dir, files, generatedSeconds: null };
  }
  const t0 = performance.now();
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files: CorpusFile[] = [];
  const plan = planCorpus(params.files, params.seed, params.brokenShare);
  for (let i = 0; i < plan.length; i++) {
    const f = writeFile(tmp, i, plan[i], params.seed);
    files.push(f);
    if ((i + 1) % 100 === 0) console.error(`corpus: ${i + 1}/${plan.length} files, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(files, null, 1));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, files: files.map((f) => ({ ...f, path: join(dir, f.path) })), generatedSeconds: (performance.now() - t0) / 1000 };
}

/** What one file will be. */
interface Spec {
  bucket: Bucket;
  format: 'jpeg' | 'png';
  broken: BrokenKind | null;
}

/**
 * The mix, by quota (so a small corpus still has every bucket and format), in a seeded shuffled
 * order. Broken files are small images made first and then damaged.
 */
export function planCorpus(n: number, seed: number, brokenShare: number): Spec[] {
  const broken = brokenShare > 0 ? Math.min(n, Math.max(1, Math.ceil(n * brokenShare))) : 0;
  const good = n - broken;
  const big = Math.round(good * 0.1);
  const mid = Math.round(good * 0.3);
  const small = good - big - mid;
  const specs: Spec[] = [];
  const add = (count: number, bucket: Bucket, pngShare: number) => {
    const png = count > 0 && pngShare > 0 ? Math.max(1, Math.round(count * pngShare)) : 0;
    for (let i = 0; i < count; i++) specs.push({ bucket, format: i < png ? 'png' : 'jpeg', broken: null });
  };
  add(small, '≤1 MP', 0.4);
  add(mid, '1–4 MP', 0.3);
  add(big, '12 MP', 0.1);
  for (let i = 0; i < broken; i++) {
    const kind = BROKEN_KINDS[i % BROKEN_KINDS.length];
    specs.push({ bucket: '≤1 MP', format: kind === 'truncated PNG' ? 'png' : 'jpeg', broken: kind });
  }
  const rnd = prng(seed);
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [specs[i], specs[j]] = [specs[j], specs[i]];
  }
  return specs;
}

function writeFile(dir: string, i: number, s: Spec, seed: number): CorpusFile {
  const rnd = prng(seed * 1_000_003 + i + 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  let width: number;
  let height: number;
  if (s.bucket === '12 MP') [width, height] = rnd() < 0.7 ? [4000, 3000] : [3000, 4000];
  else {
    const mp = s.bucket === '≤1 MP' ? 0.3 + 0.7 * rnd() : 2 + 2 * rnd();
    const aspect = pick([4 / 3, 3 / 4, 3 / 2, 2 / 3, 1, 16 / 9, 9 / 16]);
    width = Math.round(Math.sqrt(mp * 1e6 * aspect));
    height = Math.round((mp * 1e6) / width);
  }
  const name = `img${String(i).padStart(5, '0')}.${s.format === 'png' ? 'png' : 'jpg'}`;
  let data: Uint8Array;
  let variant: string;
  if (s.broken === 'zero-byte .jpg') {
    [data, variant, width, height] = [new Uint8Array(0), s.broken, 0, 0];
  } else if (s.broken === 'text named .jpg') {
    data = new TextEncoder().encode(`Not an image: notes written on day ${i}.\n`.repeat(20));
    [variant, width, height] = [s.broken, 0, 0];
  } else if (s.format === 'jpeg') {
    const o: EncodeOptions = { subsampling: pick(['4:2:0', '4:2:0', '4:2:0', '4:2:0', '4:2:0', '4:2:0', '4:4:4', '4:4:4', 'gray'] as const), quality: 85 + Math.floor(rnd() * 11), progressive: rnd() < 0.15 };
    const bands = o.subsampling === 'gray' ? 1 : 3;
    data = encodeJpeg(photoPixels(width, height, bands, rnd), width, height, o);
    variant = `jpeg ${o.subsampling} q${o.quality}${o.progressive ? ' progressive' : ''}`;
  } else {
    const mode = pick(['RGB', 'RGB', 'RGB', 'RGB', 'RGB', 'RGBA', 'L'] as const);
    const bands = mode === 'L' ? 1 : 3;
    let pixels = photoPixels(width, height, bands, rnd);
    if (mode === 'RGBA') pixels = withAlpha(pixels, width, height);
    data = encodePng({ width, height, data: pixels, channels: mode === 'RGBA' ? 4 : bands, depth: 8 });
    variant = `png ${mode}`;
  }
  if (s.broken === 'truncated JPEG' || s.broken === 'truncated PNG') {
    data = data.subarray(0, Math.floor(data.length * (0.3 + 0.4 * rnd())));
    variant = `${s.broken} (${variant})`;
  }
  writeFileSync(join(dir, name), data);
  return { path: name, format: s.format, variant, width, height, bucket: s.broken ? null : s.bucket, bytes: statSync(join(dir, name)).size, broken: s.broken };
}

/** A small seeded generator of floats in [0, 1): mulberry32, the tests' own. */
export const prng = rng;

/** A grid of (gw+1)×(gh+1) random values per band, and each column's cell and fraction, for bilinear lookups. */
function grid(w: number, h: number, gw: number, gh: number, bands: number, amp: number, rnd: () => number) {
  const v = new Float32Array((gw + 1) * (gh + 1) * bands).map(() => (rnd() * 2 - 1) * amp);
  const ix = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const g = (x * gw) / w;
    ix[x] = Math.floor(g);
    fx[x] = g - ix[x];
  }
  /** The grid's row at image row y, interpolated in y: (gw+1)×bands values. */
  const row = new Float32Array((gw + 1) * bands);
  const rowAt = (y: number) => {
    const g = (y * gh) / h;
    const iy = Math.floor(g);
    const f = g - iy;
    const a = iy * (gw + 1) * bands;
    const b = a + (gw + 1) * bands;
    for (let k = 0; k < row.length; k++) row[k] = v[a + k] * (1 - f) + v[b + k] * f;
    return row;
  };
  return { ix, fx, rowAt };
}

/**
 * A photo-like image, HWC with 1 or 3 bands: a smooth colour field (a coarse bilinear grid), shapes
 * with hard edges (rectangles and ellipses offsetting the colour), a finer luminance texture whose
 * scale follows the image (a 12 MP photo is the same kind of scene at more pixels, as a camera makes
 * it), and per-pixel sensor noise. Cost: a few operations per pixel and band.
 */
export function photoPixels(w: number, h: number, bands: 1 | 3, rnd: () => number): Uint8Array {
  const base = grid(w, h, 3 + Math.floor(rnd() * 5), 3 + Math.floor(rnd() * 4), 3, 90, rnd);
  const mean = [110 + rnd() * 40, 110 + rnd() * 40, 100 + rnd() * 40];
  const cell = Math.max(8, Math.round(Math.min(w, h) / (20 + rnd() * 30)));
  const texture = grid(w, h, Math.ceil(w / cell), Math.ceil(h / cell), 1, 12 + rnd() * 20, rnd);
  // Fine detail (foliage, fabric, gravel: what a JPEG spends its bits on), a few pixels a cell.
  const fineCell = 2 + rnd() * 4;
  const fine = grid(w, h, Math.ceil(w / fineCell), Math.ceil(h / fineCell), 1, 8 + rnd() * 16, rnd);
  const shapes = Array.from({ length: 6 + Math.floor(rnd() * 20) }, () => {
    const cx = rnd() * w;
    const cy = rnd() * h;
    const rx = (0.03 + rnd() * 0.25) * w;
    const ry = (0.03 + rnd() * 0.25) * h;
    return { ellipse: rnd() < 0.5, cx, cy, rx, ry, d: [0, 1, 2].map(() => (rnd() * 2 - 1) * 70) };
  });
  const noise = 3 + rnd() * 6; // ± this many levels per pixel
  let s = (rnd() * 2 ** 32) >>> 0 || 1;
  const out = new Uint8Array(w * h * bands);
  const acc = new Float32Array(w * 3);
  for (let y = 0; y < h; y++) {
    const b = base.rowAt(y);
    const t = texture.rowAt(y);
    const ft = fine.rowAt(y);
    for (let x = 0; x < w; x++) {
      const i = base.ix[x] * 3;
      const f = base.fx[x];
      const j = texture.ix[x];
      const k = fine.ix[x];
      const tex = t[j] + (t[j + 1] - t[j]) * texture.fx[x] + ft[k] + (ft[k + 1] - ft[k]) * fine.fx[x];
      for (let c = 0; c < 3; c++) acc[x * 3 + c] = mean[c] + b[i + c] + (b[i + 3 + c] - b[i + c]) * f + tex;
    }
    // Shapes: the span of each one on this row.
    for (const sh of shapes) {
      const dy = (y - sh.cy) / sh.ry;
      if (dy < -1 || dy > 1) continue;
      const half = sh.ellipse ? sh.rx * Math.sqrt(1 - dy * dy) : sh.rx;
      const x0 = Math.max(0, Math.ceil(sh.cx - half));
      const x1 = Math.min(w, Math.floor(sh.cx + half));
      for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) acc[x * 3 + c] += sh.d[c];
    }
    const o = y * w * bands;
    for (let x = 0; x < w; x++) {
      // xorshift32: two bytes make a triangular luminance noise, a third a little colour noise.
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const lum = (((s & 255) + ((s >>> 8) & 255) - 255) / 255) * noise;
      const chroma = (((s >>> 16) & 255) - 128) / 128;
      if (bands === 1) {
        const v = 0.299 * acc[x * 3] + 0.587 * acc[x * 3 + 1] + 0.114 * acc[x * 3 + 2] + lum;
        out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      } else
        for (let c = 0; c < 3; c++) {
          const v = acc[x * 3 + c] + lum + (c === 1 ? -chroma : chroma);
          out[o + x * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
    }
  }
  return out;
}

/** RGB to RGBA, opaque in the middle and fading out towards the corners (a cut-out's soft edge). */
function withAlpha(rgb: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const dx = (2 * x) / w - 1;
      const dy = (2 * y) / h - 1;
      const a = 255 * Math.min(1, Math.max(0, 1.6 - Math.hypot(dx, dy)));
      const i = y * w + x;
      out[i * 4] = rgb[i * 3];
      out[i * 4 + 1] = rgb[i * 3 + 1];
      out[i * 4 + 2] = rgb[i * 3 + 2];
      out[i * 4 + 3] = a;
    }
  return out;
}
