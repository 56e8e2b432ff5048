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
import { type ImageSize, isSquare, toImageSize } from './image-size.js';

export type { ImageSize } from './image-size.js';

/** How a model's input is made from an image, at whatever size the model runs (see pipelineAt). */
export interface Preprocessing {
  /** Whose transform: it decides how a non-square size resizes (Apple's squashes, open_clip's keeps the ratio). */
  transform: 'apple' | 'open_clip';
  /** open_clip's resize_mode: 'shortest' (resize, then centre-crop) or 'squash' (resize to the size). Apple's: 'shortest'. */
  resizeMode: 'shortest' | 'squash';
  interpolation: ResampleFilter;
  /** Per-channel mean and std of Normalize (0 and 1: none). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** 'rgb-first': convert('RGB') before resizing (Apple); 'native': resize in the file's mode first (open_clip). */
  order: 'rgb-first' | 'native';
}

/** One transform at one size: what preprocessImage runs. */
export interface Pipeline extends Omit<Preprocessing, 'transform' | 'resizeMode'> {
  /** The model input, [height, width]. */
  size: ImageSize;
  /**
   * 'shortest': torchvision Resize(S) (shorter side S, longer trunc(S·long/short)) + CenterCrop(S), square sizes;
   * 'keep-ratio': open_clip's ResizeKeepRatio((H, W)) (each side round(side / min(h/H, w/W))) + CenterCrop((H, W));
   * 'squash': Resize((H, W)), every side to the size.
   */
  resize: 'shortest' | 'keep-ratio' | 'squash';
}

export const APPLE_PREPROCESSING: Preprocessing = { transform: 'apple', resizeMode: 'shortest', interpolation: 'bilinear', mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb-first' };

/**
 * The transform at `size`, as the reference builds it. Square sizes resize the shorter side and
 * centre-crop. A non-square size squashes in Apple's transform (its Resize takes the config's
 * image_size, a pair then) and keeps the ratio in open_clip's, whose ResizeKeepRatio is built
 * without the configured filter and so always resamples bicubic (open_clip's transform.py).
 */
export function pipelineAt(p: Preprocessing, size: number | ImageSize): Pipeline {
  const s = toImageSize(size, 'preprocess: the size');
  const common = { size: s, interpolation: p.interpolation, mean: p.mean, std: p.std, order: p.order };
  if (p.resizeMode === 'squash' || (!isSquare(s) && p.transform === 'apple')) return { ...common, resize: 'squash' };
  if (isSquare(s)) return { ...common, resize: 'shortest' };
  return { ...common, resize: 'keep-ratio', interpolation: 'bicubic' };
}

export const applePipeline = (size: number | ImageSize): Pipeline => pipelineAt(APPLE_PREPROCESSING, size);

export interface Preprocessed {
  /** [3, H, W] uint8, as the fixtures store them. */
  pixels: Uint8Array;
  /** [3, H, W] float32 = (pixels / 255 − mean) / std (true division, bit-identical to ToTensor + Normalize). */
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

/** open_clip's ResizeKeepRatio((H, W)) (timm's, shortest edge): each side round(side / min(h/H, w/W)), halves to even. */
export function keepRatioSize(width: number, height: number, size: ImageSize): [number, number] {
  const ratio = Math.min(height / size[0], width / size[1]);
  return [roundHalfEven(width / ratio), roundHalfEven(height / ratio)];
}

/** The resized image's [width, height] before the centre crop. */
function resizedFor(width: number, height: number, pipe: Pipeline): [number, number] {
  const [h, w] = pipe.size;
  if (pipe.resize === 'squash') return [w, h];
  if (pipe.resize === 'keep-ratio') return keepRatioSize(width, height, pipe.size);
  if (h !== w) throw new RangeError(`preprocess: resize 'shortest' takes a square size, got ${h}×${w}`);
  return resizedSize(width, height, h);
}

/** Apple's transform at `size` (see preprocessImage for any pipeline). */
export function preprocessRgb(img: RgbImage, size: number | ImageSize): Preprocessed {
  return preprocessImage(img, applePipeline(size));
}

export function preprocessImage(img: RgbImage, pipe: Pipeline): Preprocessed {
  const [h, w] = pipe.size;
  if (!Number.isInteger(h) || h <= 0 || !Number.isInteger(w) || w <= 0) throw new RangeError(`preprocess: size must be positive integers, got ${h}×${w}`);
  if (img.width <= 0 || img.height <= 0) throw new RangeError(`preprocess: empty image ${img.width}×${img.height}`);
  if (img.data.length !== img.width * img.height * 3) throw new RangeError(`preprocess: ${img.data.length} bytes do not fill a ${img.width}×${img.height} RGB image`);
  const [rw, rh] = resizedFor(img.width, img.height, pipe);
  // A thin image resized to a large short side can be far larger than its file (1×12000 → 256×3,072,000).
  if (rw * rh > MAX_IMAGE_PIXELS) {
    throw new RangeError(`preprocess: resizing ${img.width}×${img.height} to ${h === w ? `a shorter side of ${h}` : `${h}×${w} (height × width)`} gives ${rw}×${rh} = ${rw * rh} pixels, over the cap of ${MAX_IMAGE_PIXELS}`);
  }
  const left = roundHalfEven((rw - w) / 2);
  const top = roundHalfEven((rh - h) / 2);
  // open_clip's order resizes and crops the image in the mode PIL opened it in; Apple's converts first.
  const source: PilImage = pipe.order === 'native' && img.native ? img.native : { mode: 'RGB', width: img.width, height: img.height, data: img.data };
  const crop = toRgb(cropPil(resizePil(source, rw, rh, pipe.interpolation), left, top, w, h));
  const m = pipe.mean.map(Math.fround);
  const sd = pipe.std.map(Math.fround);
  const plane = h * w;
  const pixels = new Uint8Array(3 * plane);
  const tensor = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = crop[p * 3 + c];
      pixels[c * plane + p] = v;
      // torchvision: (x − mean) / std, each step rounded to float32 (exact for mean 0, std 1).
      tensor[c * plane + p] = Math.fround(Math.fround(U8_TO_UNIT[v] - m[c]) / sd[c]);
    }
  }
  return { pixels, tensor, resizedWidth: rw, resizedHeight: rh, cropLeft: left, cropTop: top };
}
