/**
 * The reference image transform (spec §4): Resize(size, bilinear) on the shorter side, CenterCrop,
 * ToTensor — no mean/std normalisation. Pure TypeScript on decoded RGB bytes, so Node and
 * browsers produce the same pixels.
 */
import { pilResizeBilinear } from './resize.js';
import type { RgbImage } from './decode.js';
import { MAX_IMAGE_PIXELS } from './pixel-cap.js';

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

export function preprocessRgb(img: RgbImage, size: number): Preprocessed {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`preprocess: size must be a positive integer, got ${size}`);
  if (img.width <= 0 || img.height <= 0) throw new RangeError(`preprocess: empty image ${img.width}×${img.height}`);
  if (img.data.length !== img.width * img.height * 3) throw new RangeError(`preprocess: ${img.data.length} bytes do not fill a ${img.width}×${img.height} RGB image`);
  const [rw, rh] = resizedSize(img.width, img.height, size);
  // A thin image resized to a large short side can be far larger than its file (1×12000 → 256×3,072,000).
  if (rw * rh > MAX_IMAGE_PIXELS) {
    throw new RangeError(`preprocess: resizing ${img.width}×${img.height} to a shorter side of ${size} gives ${rw}×${rh} = ${rw * rh} pixels, over the cap of ${MAX_IMAGE_PIXELS}`);
  }
  const resized = rw === img.width && rh === img.height ? img.data : pilResizeBilinear(img.data, img.width, img.height, rw, rh, 3);
  const left = roundHalfEven((rw - size) / 2);
  const top = roundHalfEven((rh - size) / 2);
  const pixels = new Uint8Array(3 * size * size);
  const tensor = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = ((y + top) * rw + x + left) * 3;
      for (let c = 0; c < 3; c++) {
        const v = resized[s + c];
        pixels[(c * size + y) * size + x] = v;
        tensor[(c * size + y) * size + x] = U8_TO_UNIT[v];
      }
    }
  }
  return { pixels, tensor, resizedWidth: rw, resizedHeight: rh, cropLeft: left, cropTop: top };
}
