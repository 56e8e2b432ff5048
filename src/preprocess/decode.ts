/**
 * Image decoding to 8-bit RGB the way PIL's `Image.open(f).convert('RGB')` does: greyscale is
 * replicated, palettes are looked up, alpha is dropped without compositing, 16-bit samples keep
 * their high byte. PNG through fast-png (pure JavaScript, fflate inside) and JPEG through
 * libjpeg-turbo in WebAssembly (what PIL itself uses), so Node and browsers decode identically and
 * match PIL (no canvas, whose colour management and premultiplied alpha change pixels). PIL does
 * not apply EXIF orientation here, and neither do we.
 */
import { decode as decodePng, hasPngSignature } from 'fast-png';
import { decodeJpegTurbo, initJpegDecoder } from './jpeg-turbo.js';
import { MAX_IMAGE_PIXELS, overPixelCap } from './pixel-cap.js';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export interface RgbImage {
  width: number;
  height: number;
  /** HWC, 3 bytes per pixel. */
  data: Uint8Array;
  /** The PIL mode of the file (RGB, RGBA, L, LA, P, I;16, …): informational. */
  mode: string;
}

export interface DecodeOptions {
  /** Largest width × height decoded (default MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

function sniff(b: Uint8Array): string {
  const ascii = (n: number) => String.fromCharCode(...b.subarray(0, n));
  if (ascii(4) === 'GIF8') return 'a GIF image';
  if (ascii(4) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'a WebP image';
  if (ascii(2) === 'BM') return 'a BMP image';
  if (ascii(4) === 'II*\0' || ascii(4) === 'MM\0*') return 'a TIFF image';
  if (String.fromCharCode(...b.subarray(4, 12)).startsWith('ftypavi')) return 'an AVIF image';
  if (b.length === 0) return 'an empty file';
  if (b.length < 8 && PNG_SIGNATURE.slice(0, b.length).every((v, i) => b[i] === v)) return `a truncated PNG (${b.length} bytes)`;
  if (b.length <= 3 && [0xff, 0xd8, 0xff].slice(0, b.length).every((v, i) => b[i] === v)) return `a truncated JPEG (${b.length} bytes)`;
  const text = b.subarray(0, 256).every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128);
  return text ? 'a text file' : 'not a PNG or JPEG image';
}

export async function decodeImage(bytes: Uint8Array, name = 'image', opts: DecodeOptions = {}): Promise<RgbImage> {
  if (hasPngSignature(bytes)) {
    // IHDR is the first chunk: width and height, big-endian, at bytes 16..23.
    if (bytes.length >= 24) {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const over = overPixelCap(v.getUint32(16), v.getUint32(20), name, opts.maxPixels);
      if (over) throw new ImageDecodeError(over);
    }
    return decodePngRgb(bytes, name);
  }
  if (isJpeg(bytes)) {
    const turbo = await initJpegDecoder();
    try {
      return { ...decodeJpegTurbo(turbo, bytes, name, opts.maxPixels ?? MAX_IMAGE_PIXELS), mode: 'RGB' };
    } catch (e) {
      throw new ImageDecodeError((e as Error).message);
    }
  }
  throw new ImageDecodeError(`${name}: ${sniff(bytes)}; only PNG and JPEG images are supported`);
}

function decodePngRgb(bytes: Uint8Array, name: string): RgbImage {
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (e) {
    throw new ImageDecodeError(`${name}: corrupt PNG (${(e as Error).message})`);
  }
  const { width, height, channels, depth, palette } = png;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const src = png.data;
  // 16-bit samples: PIL's PNG decoder keeps the most significant byte for RGB(A) modes.
  const sample = depth === 16 ? (i: number) => src[i] >> 8 : (i: number) => src[i];
  if (palette) {
    for (let p = 0; p < n; p++) {
      const c = palette[src[p]] ?? [0, 0, 0];
      out[p * 3] = c[0];
      out[p * 3 + 1] = c[1];
      out[p * 3 + 2] = c[2];
    }
    return { width, height, data: out, mode: 'P' };
  }
  if (depth < 8) {
    // 1, 2 and 4-bit greyscale: fast-png unpacks samples; scale to 0..255 as PIL's L conversion.
    const max = (1 << depth) - 1;
    for (let p = 0; p < n; p++) out.fill(Math.round((src[p] * 255) / max), p * 3, p * 3 + 3);
    return { width, height, data: out, mode: depth === 1 ? '1' : 'L' };
  }
  for (let p = 0; p < n; p++) {
    if (channels >= 3) {
      out[p * 3] = sample(p * channels);
      out[p * 3 + 1] = sample(p * channels + 1);
      out[p * 3 + 2] = sample(p * channels + 2);
    } else {
      out.fill(sample(p * channels), p * 3, p * 3 + 3);
    }
  }
  const mode = channels === 4 ? 'RGBA' : channels === 3 ? 'RGB' : channels === 2 ? 'LA' : depth === 16 ? 'I;16' : 'L';
  return { width, height, data: out, mode };
}
