/**
 * Every PNG and JPEG mode PIL opens, against PIL's own pixels (test/fixtures/images, written by
 * scripts/make-image-cases.py): bit depths 1–16, grey, grey+alpha, palette with and without tRNS,
 * short palettes, RGB(A), Adam7 at sizes where passes are empty, every filter type, split IDAT;
 * JPEG grey, 4:4:4 to 4:1:1, progressive, restart markers, CMYK with and without the Adobe marker.
 * Decoded RGB, the reference transform (Resize+CenterCrop at 5) and open_clip's order (the same in
 * the file's own mode, converted after the crop; bilinear and bicubic) must be byte-identical.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzlibSync, zlibSync } from 'fflate';
import '../../src/preprocess/image-input.node.js';
import { crc32 } from '../../src/io/zip.js';
import { decodeImage } from '../../src/preprocess/decode.js';
import { preprocessImage, preprocessRgb } from '../../src/preprocess/transform.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'images');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
  pillow: string;
  files: { file: string; width: number; height: number; pilMode: string }[];
};
const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));

/** Count of differing bytes and the largest difference. */
function diff(a: Uint8Array, b: Uint8Array): { count: number; max: number } {
  let count = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) (count++, (max = Math.max(max, d)));
  }
  return { count, max };
}

describe(`decoded pixels equal Pillow ${manifest.pillow}'s convert('RGB')`, () => {
  it('the manifest lists every mode family', () => {
    const modes = new Set(manifest.files.map((f) => f.pilMode));
    expect([...modes].sort()).toEqual(['1', 'CMYK', 'I', 'L', 'LA', 'P', 'RGB', 'RGBA']);
    expect(manifest.files.length).toBeGreaterThanOrEqual(50);
  });

  for (const f of manifest.files) {
    const stem = f.file.replace(/\.(png|jpg)$/, '');
    it(`${f.file} (PIL mode ${f.pilMode}, ${f.width}×${f.height})`, async () => {
      const img = await decodeImage(read(f.file), f.file);
      expect([img.width, img.height, img.mode]).toEqual([f.width, f.height, f.pilMode]);
      const want = read(`${stem}.rgb`);
      expect(img.data.length).toBe(want.length);
      expect(diff(img.data, want)).toEqual({ count: 0, max: 0 });

      // The reference transform on top: CHW pixels from ours vs HWC from PIL's resize + crop.
      const crop = read(`${stem}.crop5.rgb`);
      const r = preprocessRgb(img, 5);
      const hwc = new Uint8Array(75);
      for (let c = 0; c < 3; c++) for (let i = 0; i < 25; i++) hwc[i * 3 + c] = r.pixels[c * 25 + i];
      expect(diff(hwc, crop)).toEqual({ count: 0, max: 0 });

      // open_clip's order: resize and crop in the file's own mode (NEAREST for 1/P, premultiplied
      // LA/RGBA, 32-bit I, per-band L/RGB/CMYK), then convert('RGB') — bilinear and bicubic.
      for (const interpolation of ['bilinear', 'bicubic'] as const) {
        const n = preprocessImage(img, { size: [5, 5], resize: 'shortest', interpolation, mean: [0, 0, 0], std: [1, 1, 1], order: 'native' });
        const got = new Uint8Array(75);
        for (let c = 0; c < 3; c++) for (let i = 0; i < 25; i++) got[i * 3 + c] = n.pixels[c * 25 + i];
        expect(diff(got, read(`${stem}.native5.${interpolation}.rgb`)), `${interpolation}, native order`).toEqual({ count: 0, max: 0 });
      }
    });
  }
});

/** A PNG rebuilt from chunks, CRCs recomputed: lets a test corrupt one field and nothing else. */
function pngFromChunks(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const [type, body] of chunks) {
    const b = new Uint8Array(12 + body.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, body.length);
    b.set([...type].map((c) => c.charCodeAt(0)), 4);
    b.set(body, 8);
    v.setUint32(8 + body.length, crc32(b.subarray(4, 8 + body.length)));
    parts.push(...b);
  }
  return Uint8Array.from(parts);
}

function chunksOf(png: Uint8Array): [string, Uint8Array][] {
  const v = new DataView(png.buffer, png.byteOffset);
  const out: [string, Uint8Array][] = [];
  for (let p = 8; p < png.length; ) {
    const n = v.getUint32(p);
    out.push([String.fromCharCode(...png.subarray(p + 4, p + 8)), png.slice(p + 8, p + 8 + n)]);
    p += 12 + n;
  }
  return out;
}

describe('malformed PNGs are named errors, never wrong pixels', () => {
  const good = read('rgb8.png');
  const chunks = chunksOf(good);
  const ihdr = chunks[0][1];
  const idat = chunks.find(([t]) => t === 'IDAT')![1];
  const rawRows = unzlibSync(idat);
  const withIhdr = (edit: (b: Uint8Array) => void) => {
    const b = ihdr.slice();
    edit(b);
    return pngFromChunks(chunks.map(([t, c]) => [t, t === 'IHDR' ? b : c]));
  };
  const withRows = (rows: Uint8Array) => pngFromChunks(chunks.map(([t, c]) => [t, t === 'IDAT' ? zlibSync(rows) : c]));

  const cases: [string, Uint8Array, RegExp][] = [
    ['a flipped bit inside IDAT', good.map((x, i) => (i === good.length - 30 ? x ^ 4 : x)), /bad\.png: corrupt PNG: CRC mismatch in the IDAT chunk/],
    ['cut in the middle of IDAT', good.subarray(0, good.length - 40), /bad\.png: truncated PNG: the IDAT chunk at byte \d+ runs past the end/],
    ['no IEND', good.subarray(0, good.length - 12), /bad\.png: truncated PNG \(no IEND chunk\)/],
    ['colour type 2 at bit depth 4', withIhdr((b) => (b[8] = 4)), /bad\.png: corrupt PNG: bit depth 4 is not allowed for colour type 2/],
    ['colour type 5', withIhdr((b) => (b[9] = 5)), /bad\.png: corrupt PNG: unknown colour type 5/],
    ['interlace method 2', withIhdr((b) => (b[12] = 2)), /unknown interlace method 2/],
    ['width 0', withIhdr((b) => b.fill(0, 0, 4)), /implausible size 0×9/],
    ['filter type 7 in a row', withRows(rawRows.map((x, i) => (i === 0 ? 7 : x))), /bad\.png: corrupt PNG: filter type 7 in row 0/],
    ['too little image data', withRows(rawRows.subarray(0, rawRows.length - 5)), /bad\.png: truncated PNG image data: \d+ of 306 bytes/],
    ['not zlib data', pngFromChunks(chunks.map(([t, c]) => [t, t === 'IDAT' ? Uint8Array.of(1, 2, 3, 4) : c])), /bad\.png: corrupt PNG image data/],
    ['IDAT before IHDR', pngFromChunks([chunks[1], chunks[0], ...chunks.slice(2)]), /the first chunk is \w{4}, not IHDR/],
    ['an unknown critical chunk', pngFromChunks([chunks[0], ['ABCD', new Uint8Array(3)], ...chunks.slice(1)]), /unsupported critical PNG chunk ABCD/],
    ['a palette image without PLTE', pngFromChunks(chunksOf(read('palette8.png')).filter(([t]) => t !== 'PLTE')), /a palette image without a PLTE chunk/],
  ];
  for (const [what, bytes, err] of cases) {
    it(what, async () => {
      await expect(decodeImage(bytes, 'bad.png')).rejects.toThrow(err);
    });
  }

  it('a deflate bomb (16 MB of rows for an 11×9 image) inflates into the 306 bytes IHDR implies (memory bounded by the header; excess ignored, as PIL does)', async () => {
    const bomb = new Uint8Array(16 << 20);
    bomb.set(rawRows);
    const png = withRows(bomb);
    expect(png.length).toBeLessThan(40_000);
    const img = await decodeImage(png, 'bomb.png');
    expect(diff(img.data, read('rgb8.rgb'))).toEqual({ count: 0, max: 0 });
  });
});
