/**
 * The decoded-pixel cap every decoder checks from its header before decoding (and the transform
 * checks on the resized size): PIL's MAX_IMAGE_PIXELS (PIL warns past it and refuses past twice it).
 * decodeImage's `maxPixels` option changes it.
 */
export const MAX_IMAGE_PIXELS = 178_956_970;

/** The error message when width × height is over `maxPixels`, else null. */
export function overPixelCap(width: number, height: number, name: string, maxPixels = MAX_IMAGE_PIXELS): string | null {
  if (width * height <= maxPixels) return null;
  return `${name}: ${width}×${height} = ${width * height} pixels is over the decoding cap of ${maxPixels} (decodeImage's maxPixels option raises it)`;
}
