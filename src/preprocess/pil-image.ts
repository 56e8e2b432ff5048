/**
 * An image in the mode PIL opens it in, and the three things open_clip's eval transform does to
 * it before `convert('RGB')`: Image.resize (with PIL's per-mode rules), crop, and the conversion.
 * PIL's rules (Pillow 9.4, checked by scripts/make-image-cases.py): modes 1 and P always resize
 * with NEAREST; LA and RGBA resize premultiplied (La / RGBa: c·a/255 rounded as MULDIV255, and
 * back with floor(255·c/a), clipped; fully transparent pixels come out black); I resizes in its
 * 32-bit path; every other mode per 8-bit band. convert('RGB'): 1/L replicated, P through the
 * palette (entries past it read the grey ramp), I clipped to 0..255, LA/RGBA lose alpha, CMYK by
 * PIL's formula (samples as PIL holds them: Adobe-inverted from the JPEG).
 */
import { loadedJpegModule } from './image-wasm.js';
import { pilResize8Wasm } from './pil-resize-wasm.js';
import { type ResampleFilter, pilResize32, pilResize8, pilResizeNearest } from './resize.js';

export type PilMode = '1' | 'L' | 'P' | 'I' | 'LA' | 'RGB' | 'RGBA' | 'CMYK';

export interface PilImage {
  mode: PilMode;
  width: number;
  height: number;
  /** HWC bands: 1 per pixel for 1/L/P, 2 LA, 3 RGB, 4 RGBA/CMYK; mode I is one Int32 band. Mode 1 holds 0 or 255. */
  data: Uint8Array | Int32Array;
  /** Mode P: RGB triples, PIL's grey ramp past the file's entries (768 bytes). */
  palette?: Uint8Array;
}

export const BANDS: Record<PilMode, number> = { '1': 1, L: 1, P: 1, I: 1, LA: 2, RGB: 3, RGBA: 4, CMYK: 4 };

const muldiv255 = (a: number, b: number) => {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
};

/** A P image's palette as PIL holds it: the file's entries, then PIL's default grey ramp. */
export function fullPalette(entries: Uint8Array): Uint8Array {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) p.fill(i, 3 * i, 3 * i + 3);
  p.set(entries.subarray(0, 768));
  return p;
}

/** `convert('RGB')`. */
export function toRgb(img: PilImage): Uint8Array {
  const n = img.width * img.height;
  const src = img.data;
  if (img.mode === 'RGB') return src as Uint8Array;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const o = 3 * p;
    switch (img.mode) {
      case '1':
      case 'L':
        out.fill(src[p], o, o + 3);
        break;
      case 'I':
        out.fill(Math.max(0, Math.min(255, src[p])), o, o + 3);
        break;
      case 'P': {
        const i = 3 * src[p];
        out[o] = img.palette![i];
        out[o + 1] = img.palette![i + 1];
        out[o + 2] = img.palette![i + 2];
        break;
      }
      case 'LA':
        out.fill(src[2 * p], o, o + 3);
        break;
      case 'RGBA':
        out[o] = src[4 * p];
        out[o + 1] = src[4 * p + 1];
        out[o + 2] = src[4 * p + 2];
        break;
      case 'CMYK': {
        const nk = 255 - src[4 * p + 3];
        for (let c = 0; c < 3; c++) out[o + c] = nk - muldiv255(src[4 * p + c], nk);
        break;
      }
    }
  }
  return out;
}

/**
 * The 8-bit resize: the wasm SIMD passes when the decoder module is loaded (decodeImage loads it),
 * else the TypeScript ones; the same bytes either way.
 */
function resize8(src: Uint8Array, width: number, height: number, outW: number, outH: number, bands: number, filter: ResampleFilter): Uint8Array {
  const ex = loadedJpegModule();
  return (ex && pilResize8Wasm(ex, src, width, height, outW, outH, bands, filter)) ?? pilResize8(src, width, height, outW, outH, bands, filter);
}

/** `Image.resize((w, h), filter)` with PIL's per-mode rules. */
export function resizePil(img: PilImage, w: number, h: number, filter: ResampleFilter): PilImage {
  if (w === img.width && h === img.height) return img;
  const bands = BANDS[img.mode];
  if (img.mode === '1' || img.mode === 'P') return { ...img, width: w, height: h, data: pilResizeNearest(img.data as Uint8Array, img.width, img.height, w, h, 1) };
  if (img.mode === 'I') return { ...img, width: w, height: h, data: pilResize32(img.data as Int32Array, img.width, img.height, w, h, filter) };
  if (img.mode === 'LA' || img.mode === 'RGBA') {
    const src = img.data as Uint8Array;
    const pre = new Uint8Array(src.length);
    for (let p = 0; p < src.length; p += bands) {
      const a = src[p + bands - 1];
      for (let c = 0; c < bands - 1; c++) pre[p + c] = muldiv255(src[p + c], a);
      pre[p + bands - 1] = a;
    }
    const r = resize8(pre, img.width, img.height, w, h, bands, filter);
    for (let p = 0; p < r.length; p += bands) {
      const a = r[p + bands - 1];
      if (a === 0 || a === 255) continue;
      for (let c = 0; c < bands - 1; c++) r[p + c] = Math.min(255, Math.floor((255 * r[p + c]) / a));
    }
    return { ...img, width: w, height: h, data: r };
  }
  return { ...img, width: w, height: h, data: resize8(img.data as Uint8Array, img.width, img.height, w, h, bands, filter) };
}

/** `Image.crop((left, top, left + w, top + h))` (inside the image). */
export function cropPil(img: PilImage, left: number, top: number, w: number, h: number): PilImage {
  const bands = BANDS[img.mode];
  const out = new (img.data.constructor as new (n: number) => Uint8Array | Int32Array)(w * h * bands);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((top + y) * img.width + left) * bands, ((top + y) * img.width + left + w) * bands), y * w * bands);
  return { ...img, width: w, height: h, data: out };
}
