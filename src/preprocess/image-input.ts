/**
 * Image inputs as users hold them, turned into the 8-bit RGB the reference transform takes. The one
 * normalisation path: `MobileCLIP` and the platform entries call it with their platform's reader
 * (`image-input.node.ts`: paths and URLs; `image-input.browser.ts`: Blob, ImageData, canvases, …).
 *
 * Encoded bytes (PNG or JPEG) always go through our decoders, which match PIL. Decoded pixels are
 * used as given: RGBA loses its alpha without compositing and greyscale is replicated, as PIL's
 * `convert('RGB')` does. Anything else is a TypeError naming what was received.
 */
import { decodeImage, ImageDecodeError, type RgbImage } from './decode.js';

/** Decoded 8-bit pixels, row-major, `channels` samples per pixel (1 grey, 3 RGB, 4 RGBA). */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** What every platform accepts: PNG/JPEG bytes, decoded pixels, or a decoded `RgbImage`. */
export type ImageInput = Uint8Array | ArrayBuffer | PixelImage | RgbImage;

/** A platform's reader: one input (named `name` in errors) → RGB. */
export type ImageReader<I> = (input: I, name: string) => Promise<RgbImage>;

export const COMMON_KINDS = 'PNG/JPEG bytes (Uint8Array, Buffer or ArrayBuffer), or decoded pixels {data, width, height, channels: 1|3|4}';

/** A short description of a value for error messages: "a string", "a Float32Array", "an object with keys {a, b}". */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x !== 'object' && typeof x !== 'function') return `a ${typeof x}`;
  const ctor = (x as object).constructor?.name;
  if (ctor && ctor !== 'Object') return `a${/^[AEIOU]/.test(ctor) ? 'n' : ''} ${ctor}`;
  const keys = Object.keys(x as object);
  return keys.length ? `an object with keys {${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}}` : 'an empty object';
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Decoded pixels (channels 1, 3 or 4) → RGB, checked: dimensions, sample type and length. */
export function pixelsToRgb(img: PixelImage, name: string, mode?: string): RgbImage {
  const { width, height, channels, data } = img;
  if (!isPositiveInt(width) || !isPositiveInt(height)) throw new TypeError(`${name}: width and height must be positive integers, got ${String(width)}×${String(height)}`);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new TypeError(`${name}: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new TypeError(`${name}: pixel data must be 8-bit samples (Uint8Array or Uint8ClampedArray), got ${describeValue(data)}`);
  }
  const n = width * height;
  if (data.length !== n * channels) {
    throw new TypeError(`${name}: ${data.length} samples do not fill ${width}×${height} pixels × ${channels} channels (${n * channels})`);
  }
  if (channels === 3) return { width, height, data: data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length), mode: mode ?? 'RGB' };
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    out[p * 3] = data[s];
    out[p * 3 + 1] = data[channels === 1 ? s : s + 1];
    out[p * 3 + 2] = data[channels === 1 ? s : s + 2];
  }
  return { width, height, data: out, mode: mode ?? (channels === 1 ? 'L' : 'RGBA') };
}

/**
 * The kinds every platform accepts; `undefined` when `input` is none of them (the platform reader
 * then tries its own kinds, and finally throws `unsupportedImage`).
 */
export function readCommonImage(input: unknown, name: string): Promise<RgbImage> | undefined {
  if (input instanceof Uint8Array) return decodeImage(input, name);
  if (input instanceof ArrayBuffer) return decodeImage(new Uint8Array(input), name);
  if (typeof input !== 'object' || input === null || !('data' in input) || !('width' in input) || !('height' in input)) return undefined;
  const o = input as Partial<PixelImage> & { mode?: unknown };
  if (o.channels !== undefined) return Promise.resolve(pixelsToRgb(o as PixelImage, name));
  // An RgbImage, as decodeImage returns it: 3 samples per pixel and the file's PIL mode.
  if (typeof o.mode === 'string') return Promise.resolve(pixelsToRgb({ ...(o as PixelImage), channels: 3 }, name, o.mode));
  throw new TypeError(`${name}: decoded pixels need \`channels\` (1, 3 or 4) beside data, width and height`);
}

export function unsupportedImage(input: unknown, name: string, accepted: string): TypeError {
  return new TypeError(`${name}: cannot read an image from ${describeValue(input)}; expected ${accepted}`);
}

/** The platform-independent reader: bytes and pixels only. */
export const readImageInput: ImageReader<ImageInput> = async (input, name) => {
  const r = readCommonImage(input, name);
  if (!r) throw unsupportedImage(input, name, COMMON_KINDS);
  return r;
};

export { ImageDecodeError };
