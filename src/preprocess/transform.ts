/**
 * The image transforms, pure TypeScript, so Node and browsers produce the same pixels:
 *  - Apple's (spec §4): convert('RGB'), Resize(size, bilinear) on the shorter side, CenterCrop,
 *    ToTensor — no mean/std;
 *  - open_clip's eval transform: Resize(size, bilinear | bicubic) and CenterCrop on the image in the
 *    mode PIL opened it in, convert('RGB') only then (palette images resize with NEAREST, RGBA
 *    premultiplied: pil-image.ts), ToTensor, Normalize(mean, std) in float32; `order: 'rgb-first'`
 *    is the same on the RGB-converted image (Apple's documented usage).
 */
import type { ResampleFilter } from './resize.js';
import type { RgbImage } from './decode.js';
import { cropPil, type PilImage, resizePil, toRgb } from './pil-image.js';
import { MAX_IMAGE_PIXELS } from './pixel-cap.js';

/** How a model's input is made from an image. */
export interface Pipeline {
  size: number;
  interpolation: ResampleFilter;
  /** Per-channel mean and std of Normalize (0 and 1: none). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** 'rgb-first': convert('RGB') before resizing (Apple); 'native': resize in the file's mode first (open_clip). */
  order: 'rgb-first' | 'native';
}

export const applePipeline = (size: number): Pipeline => ({ size, interpolation: 'bilinear', mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb-first' });

export interface Preprocessed {
  /** [3, size, size] uint8, as the fixtures store them. */
  pixels: Uint8Array;
  /** [3, size, size] float32 = pixels / 255 (true division, bit-identical to ToTensor). */
  tensor: Float32Array;
  resizedWidth: number;
  resizedHeight: number;
  cropLeft: number;
  cropTop: number;
}

/** Python's round(): halves to even. */
export const roundHalfEven = (x: number): number => {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
};

/** u8 → fp32(u8 / 255), as a table: WGSL's or a reciprocal multiply would differ for 126 values. */
export const U8_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** torchvision Resize(int): the shorter side becomes `size`, the longer one trunc(size·long/short). */
export function resizedSize(width: number, height: number, size: number): [number, number] {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (short === size) return [width, height];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** Apple's transform at `size` (see preprocessImage for any pipeline). */
export function preprocessRgb(img: RgbImage, size: number): Preprocessed {
  return preprocessImage(img, applePipeline(size));
}

export function preprocessImage(img: RgbImage, pipe: Pipeline): Preprocessed {
  const { size } = pipe;
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`preprocess: size must be a positive integer, got ${size}`);
  if (img.width <= 0 || img.height <= 0) throw new RangeError(`preprocess: empty image ${img.width}×${img.height}`);
  if (img.data.length !== img.width * img.height * 3) throw new RangeError(`preprocess: ${img.data.length} bytes do not fill a ${img.width}×${img.height} RGB image`);
  const [rw, rh] = resizedSize(img.width, img.height, size);
  // A thin image resized to a large short side can be far larger than its file (1×12000 → 256×3,072,000).
  if (rw * rh > MAX_IMAGE_PIXELS) {
    throw new RangeError(`preprocess: resizing ${img.width}×${img.height} to a shorter side of ${size} gives ${rw}×${rh} = ${rw * rh} pixels, over the cap of ${MAX_IMAGE_PIXELS}`);
  }
  const left = roundHalfEven((rw - size) / 2);
  const top = roundHalfEven((rh - size) / 2);
  // open_clip's order resizes and crops the image in the mode PIL opened it in; Apple's converts first.
  const source: PilImage = pipe.order === 'native' && img.native ? img.native : { mode: 'RGB', width: img.width, height: img.height, data: img.data };
  const crop = toRgb(cropPil(resizePil(source, rw, rh, pipe.interpolation), left, top, size, size));
  const m = pipe.mean.map(Math.fround);
  const sd = pipe.std.map(Math.fround);
  const pixels = new Uint8Array(3 * size * size);
  const tensor = new Float32Array(3 * size * size);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) {
      const v = crop[p * 3 + c];
      pixels[c * size * size + p] = v;
      // torchvision: (x − mean) / std, each step rounded to float32 (exact for mean 0, std 1).
      tensor[c * size * size + p] = Math.fround(Math.fround(U8_TO_UNIT[v] - m[c]) / sd[c]);
    }
  }
  return { pixels, tensor, resizedWidth: rw, resizedHeight: rh, cropLeft: left, cropTop: top };
}
