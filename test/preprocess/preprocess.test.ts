/**
 * Preprocessing against fixtures/preprocess: from the stored decoded RGB the pixels must be equal
 * (uint8, every case, both pipelines); from the source files within 1/255 (JPEG decoders differ by
 * a level). Sizes and crop offsets must match exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FIXTURES, fixturePath, haveFixtures, loadFixture } from '../helpers/fixtures.js';
import type { SafetensorsFile } from '../../src/io/safetensors.js';
// The Node image reader's module registers the JPEG wasm, as every Node path of the product does.
import '../../src/preprocess/image-input.node.js';
import { decodeImage, ImageDecodeError } from '../../src/preprocess/decode.js';
import { preprocessRgb, roundHalfEven, U8_TO_UNIT } from '../../src/preprocess/transform.js';

interface Entry {
  key: string;
  file: string;
  pil_mode: string;
  width: number;
  height: number;
  rgb: string;
  pixels_256: { tensor: string; resized_width: number; resized_height: number; crop_left: number; crop_top: number };
  pixels_224: { tensor: string; resized_width: number; resized_height: number; crop_left: number; crop_top: number };
}

const index = FIXTURES ? JSON.parse(readFileSync(fixturePath('preprocess', 'index.json'), 'utf8')) : { images: [] };

describe.runIf(haveFixtures())('preprocessing vs the reference (PIL + torchvision)', () => {
  let st: SafetensorsFile;
  beforeAll(async () => {
    st = await loadFixture('preprocess', 'preprocess.safetensors');
  });

  for (const im of index.images as Entry[]) {
    for (const size of [256, 224] as const) {
      it(`${im.key} (${im.pil_mode} ${im.width}×${im.height}) at ${size}: decoded-RGB path is byte-exact`, () => {
        const spec = size === 256 ? im.pixels_256 : im.pixels_224;
        const rgb = st.uint8(im.rgb);
        const r = preprocessRgb({ width: im.width, height: im.height, data: rgb, mode: 'RGB' }, size);
        expect([r.resizedWidth, r.resizedHeight, r.cropLeft, r.cropTop]).toEqual([spec.resized_width, spec.resized_height, spec.crop_left, spec.crop_top]);
        const want = st.uint8(spec.tensor);
        let diffs = 0;
        for (let i = 0; i < want.length; i++) if (r.pixels[i] !== want[i]) diffs++;
        expect(diffs, `${diffs} of ${want.length} pixels differ`).toBe(0);
      });
    }
    it(`${im.key}: decoding ${im.file} gives PIL's RGB exactly and pixels within 1/255`, async () => {
      const img = await decodeImage(new Uint8Array(readFileSync(fixturePath('preprocess', im.file))), im.file);
      expect([img.width, img.height]).toEqual([im.width, im.height]);
      const rgb = st.uint8(im.rgb);
      let maxRgb = 0;
      for (let i = 0; i < rgb.length; i++) maxRgb = Math.max(maxRgb, Math.abs(img.data[i] - rgb[i]));
      const r = preprocessRgb(img, 256);
      const want = st.uint8(im.pixels_256.tensor);
      let maxPix = 0;
      for (let i = 0; i < want.length; i++) maxPix = Math.max(maxPix, Math.abs(r.pixels[i] - want[i]));
      console.log(`${im.file}: decoded RGB max |Δ| = ${maxRgb} levels, 256-pixels max |Δ| = ${maxPix} levels`);
      expect(maxRgb).toBe(0); // libjpeg-turbo, as PIL
      expect(maxPix).toBeLessThanOrEqual(1);
    });
  }

  it('ToTensor is a true division by 255; crop offsets round half to even', () => {
    expect(U8_TO_UNIT[126]).toBe(Math.fround(126 / 255));
    expect(U8_TO_UNIT[255]).toBe(1);
    expect(roundHalfEven(42.5)).toBe(42);
    expect(roundHalfEven(43.5)).toBe(44);
  });

  it('rejects files that are not PNG or JPEG, and corrupt ones, naming the file', async () => {
    await expect(decodeImage(new TextEncoder().encode('just some notes\n'), 'notes.txt')).rejects.toThrow(/notes\.txt: a text file; only PNG and JPEG/);
    await expect(decodeImage(new TextEncoder().encode('GIF89a....'), 'a.gif')).rejects.toThrow(/a\.gif: a GIF image/);
    await expect(decodeImage(new Uint8Array(0), 'empty.png')).rejects.toThrow(/empty\.png: an empty file/);
    const png = new Uint8Array(readFileSync(fixturePath('preprocess', 'gradient_300x200.png')));
    await expect(decodeImage(png.subarray(0, png.length - 40), 'cut.png')).rejects.toThrow(ImageDecodeError);
    const jpg = new Uint8Array(readFileSync(fixturePath('preprocess', 'photo_q90.jpg')));
    await expect(decodeImage(jpg.subarray(0, 200), 'cut.jpg')).rejects.toThrow(/cut\.jpg: corrupt/);
    await expect(decodeImage(jpg.subarray(0, 2000), 'half.jpg')).rejects.toThrow(/half\.jpg: corrupt or truncated/);
    // and the decoder still works after those errors
    expect((await decodeImage(jpg, 'again.jpg')).width).toBe(301);
  });
});
