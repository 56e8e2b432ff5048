/**
 * Image decoding to 8-bit RGB the way PIL's `Image.open(f).convert('RGB')` does, for every PNG and
 * JPEG mode PIL opens (the rules are in png.ts and jpeg-turbo.ts; test/fixtures/images holds PIL's
 * pixels for each). PNG through our reader (png.ts) and JPEG through libjpeg-turbo in WebAssembly
 * (what PIL itself uses), so Node and browsers decode identically and match PIL (no canvas, whose
 * colour management and premultiplied alpha change pixels). PIL does not apply EXIF orientation
 * here, and neither do we. The pixel cap is checked from the header before anything is decoded.
 */
import { initJpegDecoder, preloadJpegModule } from './image-wasm.js';
import { decodeJpegTurbo } from './jpeg-turbo.js';
import { decodePng, hasPngSignature, PNG_SIGNATURE } from './png.js';
import type { PilImage } from './pil-image.js';
import { MAX_IMAGE_PIXELS } from './pixel-cap.js';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export interface RgbImage {
  width: number;
  height: number;
  /** HWC, 3 bytes per pixel. */
  data: Uint8Array;
  /** The PIL mode of the file (RGB, RGBA, L, LA, P, I, 1, CMYK). */
  mode: string;
  /** The decoded image in that mode (files decoded here): what open_clip resizes before converting to RGB. */
  native?: PilImage;
}

export interface DecodeOptions {
  /** Largest width × height decoded (default MAX_IMAGE_PIXELS). */
  maxPixels?: number;
}


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
    await preloadJpegModule(); // the resize runs in it
    try {
      return decodePng(bytes, name, opts.maxPixels);
    } catch (e) {
      throw new ImageDecodeError((e as Error).message);
    }
  }
  if (isJpeg(bytes)) {
    const turbo = await initJpegDecoder();
    try {
      return decodeJpegTurbo(turbo, bytes, name, opts.maxPixels ?? MAX_IMAGE_PIXELS);
    } catch (e) {
      throw new ImageDecodeError((e as Error).message);
    }
  }
  throw new ImageDecodeError(`${name}: ${sniff(bytes)}; only PNG and JPEG images are supported`);
}
