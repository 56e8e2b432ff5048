/**
 * The decoder's SIMD (scripts/jpeg-wasm/jsimd-wasm.c: libjpeg-turbo's Neon fancy upsampling on
 * wasm simd128 through SIMDe) gives the bits of libjpeg-turbo's plain C code: JPEGs made by the
 * test-only encoder module (test/helpers/jpeg-encoder.ts) in every subsampling (4:4:4, 4:2:2,
 * 4:2:0, 4:4:0, 4:1:1, 4:4:1, greyscale), baseline, progressive and arithmetic-coded, odd sizes
 * from 1×1 up (partial MCUs, the upsampler's edge columns), noise at quality 100 (large
 * coefficients) and smooth gradients, each decoded with jpeg_simd_enable(1) and (0) in one module.
 * Then hostile coefficients, which no encoder makes: hand-written greyscale JPEGs whose every DC
 * difference and AC coefficient is a random 11- or 10-bit value over quantisers of 255 or random
 * 16-bit ones, so the IDCT's 32-bit sums wrap around and its range limit wraps (the kernel keeps
 * libjpeg's zero-AC shortcuts and 10-bit wrap for exactly this). Pillow's own pixels for the
 * fixture JPEGs are checked by image-modes and preprocess tests, which decode with SIMD on (the
 * default).
 */
import { describe, expect, it } from 'vitest';
import '../../src/preprocess/image-input.node.js';
import { initJpegDecoder } from '../../src/preprocess/image-wasm.js';
import { decodeJpegTurbo } from '../../src/preprocess/jpeg-turbo.js';
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

/** A marker segment: FF, the marker, a 16-bit length that counts itself, the payload. */
const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];

/**
 * A width×height greyscale baseline JPEG of random blocks: per block a DC difference of category 11
 * (Huffman code "0" + 11 random bits), then n random AC coefficients of size 10 (code "0" + 10
 * bits, run 0), then EOB (code "10") unless n = 63; n random, so some blocks are DC-only and many
 * columns and rows of the IDCT have zero AC terms.
 */
function hostileJpeg(width: number, height: number, quant: number[], seed: number): Uint8Array {
  const rand = (bits: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> (32 - bits);
  };
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  const put = (value: number, bits: number) => {
    for (let b = bits - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++n === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0); // byte stuffing
        acc = 0;
        n = 0;
      }
    }
  };
  for (let block = 0; block < Math.ceil(width / 8) * Math.ceil(height / 8); block++) {
    put(0, 1);
    put(rand(11), 11);
    const ac = rand(1) ? rand(6) : rand(3); // often few (zero AC columns and rows), up to 63
    for (let i = 0; i < ac; i++) {
      put(0, 1);
      put(rand(10), 10);
    }
    if (ac < 63) put(0b10, 2);
  }
  if (n) put(0xff, 8 - n); // pad with 1 bits
  const dqt = quant.some((q) => q > 255) ? [0x10, ...quant.flatMap((q) => [q >> 8, q & 0xff])] : [0x00, ...quant];
  return Uint8Array.from([
    0xff, 0xd8,
    ...segment(0xdb, dqt),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 11]), // DC: "0" → category 11
    ...segment(0xc4, [0x10, 1, 1, ...new Array<number>(14).fill(0), 0x0a, 0x00]), // AC: "0" → run 0 size 10, "10" → EOB
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...out,
    0xff, 0xd9,
  ]);
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

  it('hostile coefficients (wrapping IDCT sums), quantisers of 255 and random 16-bit ones, 3 sizes', () => {
    let seed = 5;
    for (const [w, h] of [[8, 8], [64, 40], [131, 67]] as const) {
      for (const wide of [false, true]) {
        const quant = Array.from({ length: 64 }, (_, i) => (wide ? 1 + ((Math.imul(i + seed, 2654435761) >>> 0) % 65535) : 255));
        const jpeg = hostileJpeg(w, h, quant, seed++);
        const c = decode(jpeg, false);
        const simd = decode(jpeg, true);
        expect(simd.length).toBe(w * h);
        expect(new Set(c).size, 'the image is not flat').toBeGreaterThan(2);
        expect(simd.findIndex((v, i) => v !== c[i]), `${w}×${h}${wide ? ' 16-bit quantisers' : ''}: first differing byte`).toBe(-1);
      }
    }
  });

  it('long odd rows (1021 px; 4:2:0 and 4:2:2, restart markers) decode the same', () => {
    for (const subsampling of ['4:2:0', '4:2:2'] as const) {
      const [w, h] = [1021, 37];
      const jpeg = encodeJpeg(content(w, h, 3, 'noise', 99), w, h, { subsampling, quality: 95, restartBlocks: 7 });
      const c = decode(jpeg, false);
      expect(decode(jpeg, true).findIndex((v, i) => v !== c[i])).toBe(-1);
    }
  });
});
