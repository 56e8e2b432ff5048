/**
 * A model's input size, [height, width] — open_clip's `force_image_size` order — and how users
 * write it: `336`, `[336, 448]`, or on the command line `336` / `336x448`.
 */
export type ImageSize = readonly [height: number, width: number];

/** Input sizes beyond this are refused before anything is allocated (a 16k × 16k image already takes 3 GB as f32). */
export const MAX_IMAGE_SIDE = 16384;

/** `336` → [336, 336]; a pair as given; anything else a RangeError naming `what` and the value. */
export function toImageSize(size: number | readonly number[], what = 'imageSize'): ImageSize {
  const pair = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : null;
  if (!pair || !pair.every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_IMAGE_SIDE)) {
    throw new RangeError(`${what} must be a positive integer or a [height, width] pair of them, each at most ${MAX_IMAGE_SIDE}; got ${JSON.stringify(size)}`);
  }
  return [pair[0], pair[1]];
}

/** The command line's `N` or `HxW` (height × width). */
export function parseImageSize(text: string, what = '--image-size'): ImageSize {
  const m = /^(\d+)(?:[x×](\d+))?$/i.exec(text.trim());
  if (!m) throw new RangeError(`${what} takes N or HxW (height × width, positive integers), got ${JSON.stringify(text)}`);
  return toImageSize(m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])], what);
}

export const isSquare = (size: ImageSize): boolean => size[0] === size[1];

/** `336` for a square, `336×448` otherwise (height × width). */
export const formatImageSize = (s: ImageSize): string => (isSquare(s) ? `${s[0]}` : `${s[0]}×${s[1]}`);
