/**
 * The browser's image reader: everything `readCommonImage` takes, plus a URL (string or `URL`,
 * fetched), a `Blob`/`File` (encoded PNG/JPEG, decoded by our PIL-exact decoders), `ImageData`
 * (RGBA as given), and images the browser has already decoded — `ImageBitmap`,
 * `HTMLImageElement`, `HTMLCanvasElement`, `OffscreenCanvas`, `VideoFrame` — drawn onto a 2-D
 * canvas and read back. Pixels from the browser's own decoders and canvases can differ from PIL's
 * (colour management, un-premultiplied alpha); pass the file's bytes or a Blob for PIL-exact input.
 * The JPEG decoder's wasm is registered by the browser entry (api/browser.ts), as bundled bytes.
 */
import { download } from '../io/download.js';
import { SIZE_LIMITS } from '../io/size-limits.js';
import { decodeImage, type RgbImage } from './decode.js';
import { COMMON_KINDS, type ImageInput, type ImageReader, pixelsToRgb, readCommonImage, unsupportedImage } from './image-input.js';

export type BrowserImageInput = ImageInput | string | URL | Blob | ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | VideoFrame;

export const BROWSER_IMAGE_KINDS = `a URL, a Blob or File, ImageData, ImageBitmap, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, VideoFrame, ${COMMON_KINDS}`;

/** `globalThis[name]` when this environment has that class (workers lack the DOM ones). */
function classOf(name: string): (abstract new (...a: never[]) => unknown) | undefined {
  const c = (globalThis as Record<string, unknown>)[name];
  return typeof c === 'function' ? (c as abstract new (...a: never[]) => unknown) : undefined;
}
/** `x instanceof globalThis[name]`, false where the environment lacks that class. */
export const isA = (x: unknown, name: string): boolean => {
  const c = classOf(name);
  return c !== undefined && x instanceof c;
};

/** Width and height of something `drawImage` takes, as it will be drawn (natural size). */
function drawableSize(src: CanvasImageSource | VideoFrame, name: string): [number, number] {
  if (isA(src, 'HTMLImageElement')) {
    const img = src as HTMLImageElement;
    return [img.naturalWidth, img.naturalHeight];
  }
  if (isA(src, 'VideoFrame')) {
    const f = src as VideoFrame;
    return [f.displayWidth, f.displayHeight];
  }
  const s = src as { width: number; height: number };
  if (!(s.width > 0 && s.height > 0)) throw new TypeError(`${name}: the image has no pixels (${s.width}×${s.height})`);
  return [s.width, s.height];
}

/** Draws a decoded image onto a 2-D canvas of its own size and reads the RGBA back. */
async function rasterize(src: CanvasImageSource | VideoFrame, name: string): Promise<RgbImage> {
  if (isA(src, 'HTMLImageElement')) {
    const img = src as HTMLImageElement;
    if (!img.complete || img.naturalWidth === 0) {
      try {
        await img.decode();
      } catch (e) {
        throw new TypeError(`${name}: the <img> (${img.src || 'no src'}) could not be decoded (${(e as Error).message})`);
      }
    }
  }
  const [width, height] = drawableSize(src, name);
  if (!(width > 0 && height > 0)) throw new TypeError(`${name}: the image has no pixels (${width}×${height})`);
  const Offscreen = classOf('OffscreenCanvas') as (new (w: number, h: number) => OffscreenCanvas) | undefined;
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (Offscreen) ctx = new Offscreen(width, height).getContext('2d', { willReadFrequently: true });
  else {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    ctx = c.getContext('2d', { willReadFrequently: true });
  }
  if (!ctx) throw new Error(`${name}: no 2-D canvas context to read the image's pixels`);
  ctx.drawImage(src as CanvasImageSource, 0, 0);
  const data = ctx.getImageData(0, 0, width, height);
  return pixelsToRgb({ data: data.data, width, height, channels: 4 }, name);
}

/**
 * A Blob's bytes, bounded as an image file read from disk is (SIZE_LIMITS.image): a picked file
 * of several GB is refused by its size before anything is read.
 */
export async function imageBlobBytes(blob: Blob, label: string): Promise<Uint8Array> {
  if (blob.size > SIZE_LIMITS.image) throw new RangeError(`${label}: ${blob.size} bytes, more than an image can be (${SIZE_LIMITS.image} bytes)`);
  return new Uint8Array(await blob.arrayBuffer());
}

export const readBrowserImage: ImageReader<BrowserImageInput> = async (input, name) => {
  if (typeof input === 'string' || input instanceof URL) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    const url = typeof input === 'string' ? new URL(input, base) : input;
    return decodeImage(await download(url.href, { what: name, kind: 'image' }), url.href);
  }
  if (isA(input, 'Blob')) {
    const blob = input as Blob;
    const label = isA(blob, 'File') ? (blob as File).name : name;
    return decodeImage(await imageBlobBytes(blob, label), label);
  }
  if (isA(input, 'ImageData')) {
    const d = input as ImageData;
    return pixelsToRgb({ data: d.data, width: d.width, height: d.height, channels: 4 }, name);
  }
  for (const kind of ['ImageBitmap', 'HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'VideoFrame']) {
    if (isA(input, kind)) return rasterize(input as CanvasImageSource, name);
  }
  const r = readCommonImage(input, name);
  if (!r) throw unsupportedImage(input, name, BROWSER_IMAGE_KINDS);
  return r;
};
