/**
 * PNG decoding straight to the RGB of PIL's `Image.open(f).convert('RGB')`. Our own reader (fflate
 * only inflates) because fast-png leaves 1/2/4-bit rows packed and mis-sizes their Adam7 passes,
 * and because bounding memory needs the header before any inflating: the pixel cap is checked on
 * IHDR, and the inflated size is exactly what IHDR implies (excess data is ignored, as PIL does).
 *
 * PIL's rules, per colour type and depth (Pillow 9.4; scripts/make-image-cases.py checks them):
 * grey 1 bit is mode 1 (0 or 255), 2/4/8 bits mode L (scaled by 255/(2^d−1)), 16 bits mode I,
 * which convert('RGB') clips to 0..255; 16-bit RGB, RGBA and grey+alpha keep the high byte; a
 * palette index past the PLTE entries reads PIL's default grey ramp (i, i, i); alpha and tRNS are
 * dropped without compositing. Every chunk's CRC is checked (PIL skips IDAT's).
 */
import { unzlibSync } from 'fflate';
import { crc32 } from '../io/zip.js';
import { BANDS, fullPalette, type PilImage, type PilMode, toRgb } from './pil-image.js';
import { overPixelCap } from './pixel-cap.js';

export class PngDecodeError extends Error {
  override name = 'PngDecodeError';
}

export interface DecodedPng {
  width: number;
  height: number;
  /** HWC RGB bytes: PIL's convert('RGB') of `native`. */
  data: Uint8Array;
  /** PIL's mode for the file: 1, L, I, P, LA, RGB or RGBA. */
  mode: string;
  /** The image in that mode, as PIL holds it (what open_clip resizes before converting). */
  native: PilImage;
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const hasPngSignature = (b: Uint8Array): boolean => b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);

/** Samples per pixel and the bit depths the PNG specification allows, by colour type. */
const COLOUR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];
const NO_INTERLACE = [[0, 0, 1, 1]];

interface Header {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  channels: number;
  interlaced: boolean;
}

export function decodePng(bytes: Uint8Array, name: string, maxPixels?: number): DecodedPng {
  const fail = (msg: string): never => {
    throw new PngDecodeError(`${name}: ${msg}`);
  };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let p = 8; !ended; ) {
    if (p + 12 > bytes.length) fail(header ? 'truncated PNG (no IEND chunk)' : 'truncated PNG (no IHDR chunk)');
    const length = v.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`corrupt PNG: invalid chunk type at byte ${p + 4}`);
    if (length > 0x7fffffff || p + 12 + length > bytes.length) fail(`truncated PNG: the ${type} chunk at byte ${p} runs past the end of the file`);
    const body = bytes.subarray(p + 8, p + 8 + length);
    if (crc32(bytes.subarray(p + 4, p + 8 + length)) !== v.getUint32(p + 8 + length)) fail(`corrupt PNG: CRC mismatch in the ${type} chunk at byte ${p}`);
    if (!header && type !== 'IHDR') fail(`corrupt PNG: the first chunk is ${type}, not IHDR`);
    if (type === 'IHDR') header = readHeader(body, fail, name, maxPixels);
    else if (type === 'PLTE') {
      if (length % 3 !== 0 || length === 0 || length > 768) fail(`corrupt PNG: PLTE of ${length} bytes (a multiple of 3, at most 768)`);
      palette = body;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') ended = true;
    else if ((bytes[p + 4] & 0x20) === 0) fail(`unsupported critical PNG chunk ${type}`);
    p += 12 + length;
  }
  const h = header!;
  if (idat.length === 0) fail('corrupt PNG: no image data (IDAT)');
  if (h.colourType === 3 && !palette) fail('corrupt PNG: a palette image without a PLTE chunk');

  const passes = h.interlaced ? ADAM7 : NO_INTERLACE;
  const bitsPerPixel = h.channels * h.depth;
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0) / dx);
    const ph = Math.ceil((h.height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (1 + Math.ceil((pw * bitsPerPixel) / 8));
  }
  const compressed = concat(idat);
  // Deflate expands at most ~1032:1: a header claiming more than the data can hold is refused before allocating.
  if (expected > compressed.length * 1032 + 1024) fail(`truncated PNG image data: ${compressed.length} compressed bytes cannot hold the ${expected} bytes of a ${h.width}×${h.height} image`);
  let raw: Uint8Array;
  try {
    // A buffer of exactly the size IHDR implies: fflate does not grow it, so a deflate bomb costs no memory.
    raw = unzlibSync(compressed, { out: new Uint8Array(expected) });
  } catch (e) {
    return fail(`corrupt PNG image data (${(e as Error).message})`);
  }
  if (raw.length < expected) fail(`truncated PNG image data: ${raw.length} of ${expected} bytes`);

  const mode = pilMode(h);
  const n = h.width * h.height;
  const out = mode === 'I' ? new Int32Array(n) : new Uint8Array(n * BANDS[mode]);
  const writePixel = pixelWriter(h, out);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0) / dx);
    const ph = Math.ceil((h.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const lineBytes = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(lineBytes);
    let line = new Uint8Array(lineBytes);
    for (let y = 0; y < ph; y++) {
      const filter = raw[offset];
      unfilter(filter, raw.subarray(offset + 1, offset + 1 + lineBytes), prev, line, bpp) || fail(`corrupt PNG: filter type ${filter} in row ${y}`);
      offset += 1 + lineBytes;
      const row = (y0 + y * dy) * h.width;
      for (let x = 0; x < pw; x++) writePixel(line, x, row + x0 + x * dx);
      [prev, line] = [line, prev];
    }
  }
  const native: PilImage = { mode, width: h.width, height: h.height, data: out, ...(palette ? { palette: fullPalette(palette) } : {}) };
  return { width: h.width, height: h.height, data: toRgb(native), mode, native };
}

function readHeader(b: Uint8Array, fail: (m: string) => never, name: string, maxPixels?: number): Header {
  if (b.length !== 13) fail(`corrupt PNG: IHDR of ${b.length} bytes, not 13`);
  const v = new DataView(b.buffer, b.byteOffset, 13);
  const width = v.getUint32(0);
  const height = v.getUint32(4);
  const [depth, colourType, compression, filter, interlace] = b.subarray(8, 13);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`corrupt PNG: implausible size ${width}×${height}`);
  const over = overPixelCap(width, height, name, maxPixels);
  if (over) throw new PngDecodeError(over);
  const ct = COLOUR_TYPES[colourType];
  if (!ct) fail(`corrupt PNG: unknown colour type ${colourType}`);
  if (!ct.depths.includes(depth)) fail(`corrupt PNG: bit depth ${depth} is not allowed for colour type ${colourType}`);
  if (compression !== 0 || filter !== 0) fail(`corrupt PNG: unknown compression (${compression}) or filter method (${filter})`);
  if (interlace > 1) fail(`corrupt PNG: unknown interlace method ${interlace}`);
  return { width, height, depth, colourType, channels: ct.channels, interlaced: interlace === 1 };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

/** Reverses one scanline's filter into `out`; false for an unknown filter type. */
function unfilter(type: number, src: Uint8Array, prev: Uint8Array, out: Uint8Array, bpp: number): boolean {
  const n = src.length;
  switch (type) {
    case 0:
      out.set(src);
      return true;
    case 1:
      for (let i = 0; i < n; i++) out[i] = src[i] + (i >= bpp ? out[i - bpp] : 0);
      return true;
    case 2:
      for (let i = 0; i < n; i++) out[i] = src[i] + prev[i];
      return true;
    case 3:
      for (let i = 0; i < n; i++) out[i] = src[i] + (((i >= bpp ? out[i - bpp] : 0) + prev[i]) >> 1);
      return true;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? out[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        out[i] = src[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return true;
    default:
      return false;
  }
}

/** The function writing pixel `x` of an unfiltered line at pixel index `dst` of `out`, in PIL's bands for the mode. */
function pixelWriter(h: Header, out: Uint8Array | Int32Array): (line: Uint8Array, x: number, dst: number) => void {
  const { depth, colourType } = h;
  if (depth < 8) {
    const mask = (1 << depth) - 1;
    const sample = (line: Uint8Array, x: number) => (line[(x * depth) >> 3] >> (8 - depth - ((x * depth) & 7))) & mask;
    if (colourType === 3) return (line, x, dst) => (out[dst] = sample(line, x));
    const scale = 255 / mask; // mode 1 holds 0/255; L;2 and L;4 scale by 85 and 17
    return (line, x, dst) => (out[dst] = sample(line, x) * scale);
  }
  // 8 bits: the byte; 16 bits: the high byte (every mode but I, which keeps all 16).
  const step = depth >> 3;
  const ch = h.channels * step;
  switch (colourType) {
    case 0:
      if (depth === 16) return (line, x, dst) => (out[dst] = (line[2 * x] << 8) | line[2 * x + 1]);
      return (line, x, dst) => (out[dst] = line[x]);
    case 3:
      return (line, x, dst) => (out[dst] = line[x]);
    case 4:
      if (depth === 16) {
        // Pillow opens 16-bit grey+alpha as RGBA (rawmode LA;16B): L, L, L, A.
        return (line, x, dst) => {
          out.fill(line[x * ch], 4 * dst, 4 * dst + 3);
          out[4 * dst + 3] = line[x * ch + 2];
        };
      }
      return (line, x, dst) => {
        out[2 * dst] = line[x * ch];
        out[2 * dst + 1] = line[x * ch + 1];
      };
    default: {
      const bands = h.channels;
      return (line, x, dst) => {
        for (let c = 0; c < bands; c++) out[bands * dst + c] = line[x * ch + c * step];
      };
    }
  }
}

function pilMode({ colourType, depth }: Header): PilMode {
  if (colourType === 0) return depth === 1 ? '1' : depth === 16 ? 'I' : 'L';
  if (colourType === 3) return 'P';
  if (colourType === 4) return depth === 16 ? 'RGBA' : 'LA';
  return colourType === 2 ? 'RGB' : 'RGBA';
}
