/**
 * The decoder's SIMD (scripts/jpeg-wasm/jsimd-wasm.c: libjpeg-turbo's Neon fancy upsampling on
 * wasm simd128 through SIMDe) gives the bits of libjpeg-turbo's plain C code: JPEGs made by the
 * test-only encoder module (test/helpers/jpeg-encoder.ts) in every subsampling (4:4:4, 4:2:2,
 * 4:2:0, 4:4:0, 4:1:1, 4:4:1, greyscale), baseline, progressive and arithmetic-coded, odd sizes
 * from 1×1 up (partial MCUs, the upsampler's edge columns), noise at quality 100 (large
 * coefficients) and smooth gradients, each decoded with jpeg_simd_enable(1) and (0) in one module.
 * Pillow's own pixels for the fixture JPEGs are checked by image-modes and preprocess tests, which
 * decode with SIMD on (the default).
 */
import { describe, expect, it } from 'vitest';
import '../../src/preprocess/image-input.node.js';
import { decodeJpegTurbo, initJpegDecoder } from '../../src/preprocess/jpeg-turbo.js';
import { encodeJpeg, TJSAMP } from '../helpers/jpeg-encoder.js';

const SIZES: [number, number][] = [
  [1, 1],
  [2, 3],
  [7, 5],
  [17, 9],
  [33, 31],
  [64, 48],
  [131, 67],
];

function content(width: number, height: number, bands: number, kind: 'noise' | 'gradient', seed: number): Uint8Array {
  const data = new Uint8Array(width * height * bands);
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const p = Math.floor(i / bands);
    const x = p % width;
    const y = Math.floor(p / width);
    data[i] = kind === 'noise' ? seed >>> 24 : ((x * 255) / width + (y * 128) / height + (i % bands) * 70) & 255;
  }
  return data;
}

describe('the SIMD decoder gives the bits of the C decoder', async () => {
  const ex = await initJpegDecoder();
  const decode = (jpeg: Uint8Array, simd: boolean) => {
    ex.jpeg_simd_enable(simd ? 1 : 0);
    try {
      return decodeJpegTurbo(ex, jpeg, 'test.jpg', 1e8).native.data;
    } finally {
      ex.jpeg_simd_enable(1);
    }
  };
  for (const subsampling of Object.keys(TJSAMP) as (keyof typeof TJSAMP)[]) {
    for (const coding of ['baseline', 'progressive', 'arithmetic'] as const) {
      it(`${subsampling}, ${coding}: ${SIZES.length} sizes × noise (q100) and gradients (q75)`, () => {
        let seed = 3;
        for (const [w, h] of SIZES) {
          for (const kind of ['noise', 'gradient'] as const) {
            const pixels = content(w, h, subsampling === 'gray' ? 1 : 3, kind, seed++);
            const jpeg = encodeJpeg(pixels, w, h, { subsampling, quality: kind === 'noise' ? 100 : 75, progressive: coding === 'progressive', arithmetic: coding === 'arithmetic' });
            const c = decode(jpeg, false);
            const simd = decode(jpeg, true);
            expect(simd.length, `${w}×${h} ${kind}`).toBe(w * h * (subsampling === 'gray' ? 1 : 3));
            expect(simd.findIndex((v, i) => v !== c[i]), `${w}×${h} ${kind}: first differing byte`).toBe(-1);
          }
        }
      });
    }
  }

  it('long odd rows (1021 px; 4:2:0 and 4:2:2, restart markers) decode the same', () => {
    for (const subsampling of ['4:2:0', '4:2:2'] as const) {
      const [w, h] = [1021, 37];
      const jpeg = encodeJpeg(content(w, h, 3, 'noise', 99), w, h, { subsampling, quality: 95, restartBlocks: 7 });
      const c = decode(jpeg, false);
      expect(decode(jpeg, true).findIndex((v, i) => v !== c[i])).toBe(-1);
    }
  });
});
