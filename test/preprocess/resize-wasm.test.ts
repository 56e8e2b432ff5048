/**
 * The wasm SIMD resize (pil-resize-wasm.ts, native/pil-resize.c) against the TypeScript reference
 * (resize.ts, itself byte-identical to Pillow: image-modes and preprocess tests): the same bytes
 * on every shape (1-pixel images, odd sizes, one axis only, up- and downscaling, thin strips, a
 * ratio with ~90 taps, sources of several row chunks), 1 to 4 bands, bilinear and bicubic, on noise and on a 0/255 checkerboard
 * (bicubic overshoots it: both clamps). The Pillow fixtures run through the wasm path as users
 * run it (decodeImage loads the module), which the last test checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../src/preprocess/image-input.node.js';
import { decodeImage } from '../../src/preprocess/decode.js';
import { dropInstance, initJpegDecoder, loadedJpegModule } from '../../src/preprocess/image-wasm.js';
import { pilResize8Wasm } from '../../src/preprocess/pil-resize-wasm.js';
import { pilResize8, type ResampleFilter } from '../../src/preprocess/resize.js';

function image(width: number, height: number, bands: number, kind: 'noise' | 'checker', seed: number): Uint8Array {
  const data = new Uint8Array(width * height * bands);
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const p = Math.floor(i / bands);
    data[i] = kind === 'noise' ? seed >>> 24 : ((p % width) + Math.floor(p / width)) % 2 ? 255 : 0;
  }
  return data;
}

// [width, height, outW, outH]
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 1, 5, 3],
  [2, 1, 1, 1],
  [7, 5, 3, 2],
  [13, 1, 4, 1],
  [1, 13, 1, 4],
  [37, 23, 100, 61],
  [101, 77, 13, 9],
  [101, 77, 101, 9],
  [101, 77, 13, 77],
  [640, 3, 17, 300],
  [3, 640, 300, 17],
  [1000, 7, 23, 3],
  [333, 250, 256, 192],
  [700, 211, 123, 45], // over 256 KB: the horizontal pass's source goes through in chunks of rows
];

describe('the wasm SIMD resize equals the TypeScript reference byte for byte', async () => {
  const ex = await initJpegDecoder();
  for (const filter of ['bilinear', 'bicubic'] as ResampleFilter[]) {
    for (const bands of [1, 2, 3, 4]) {
      it(`${filter}, ${bands} band${bands > 1 ? 's' : ''}, ${SHAPES.length} shapes × noise and checkerboard`, () => {
        let seed = bands * 7 + (filter === 'bicubic' ? 1 : 0);
        for (const [w, h, ow, oh] of SHAPES) {
          for (const kind of ['noise', 'checker'] as const) {
            const src = image(w, h, bands, kind, seed++);
            const want = pilResize8(src, w, h, ow, oh, bands, filter);
            const got = pilResize8Wasm(ex, src, w, h, ow, oh, bands, filter);
            expect(got, `${w}×${h} → ${ow}×${oh} ${kind}`).not.toBeNull();
            expect(got!.length).toBe(ow * oh * bands);
            const diff = got!.findIndex((v, i) => v !== want[i]);
            expect(diff, `${w}×${h} → ${ow}×${oh} ${kind}: first differing byte`).toBe(-1);
          }
        }
      });
    }
  }
});

describe('preprocessing resizes in the wasm module', () => {
  it('decoding a PNG loads it (so the resize that follows runs there)', async () => {
    const fixtures = process.env.MOBILECLIP_FIXTURES;
    if (!fixtures) throw new Error('set MOBILECLIP_FIXTURES');
    // The tests above loaded it: drop that instance, so only the PNG decode can load one.
    const before = loadedJpegModule();
    if (before) dropInstance(before);
    expect(loadedJpegModule()).toBeNull();
    await decodeImage(new Uint8Array(readFileSync(join(fixtures, 'preprocess', 'gray_120x90.png'))), 'gray_120x90.png');
    expect(loadedJpegModule()).not.toBeNull();
  });
});
