/**
 * Memory from small files: the decoded-pixel cap (PIL's MAX_IMAGE_PIXELS) is checked from the
 * header before decoding, the resized size is capped too, and truncated or foreign files are named.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { decodeImage } from '../../src/preprocess/decode.js';
import { MAX_IMAGE_PIXELS } from '../../src/preprocess/pixel-cap.js';
import { crc32 } from '../../src/io/zip.js';
import { readNodeImage } from '../../src/preprocess/image-input.node.js';
import { preprocessRgb } from '../../src/preprocess/transform.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-caps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PNG signature and a valid IHDR chunk claiming width × height (no image data: the cap must fire first). */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  v.setUint32(29, crc32(b.subarray(12, 29)));
  return b;
}

describe('decoding and resizing caps', () => {
  it(`a PNG header of 30000×30000 is refused before decoding (cap ${MAX_IMAGE_PIXELS}); maxPixels raises the cap`, async () => {
    const t0 = performance.now();
    await expect(decodeImage(pngHeader(30000, 30000), 'huge.png')).rejects.toThrow(/huge\.png: 30000×30000 = 900000000 pixels is over the decoding cap of 178956970/);
    console.log(`refused in ${(performance.now() - t0).toFixed(1)} ms`);
    await expect(decodeImage(pngHeader(30000, 30000), 'huge.png', { maxPixels: 1e9 })).rejects.toThrow(/huge\.png: truncated PNG \(no IEND chunk\)/);
    // 13378 × 13377 = 178,957,506 is just over the cap; 13377² = 178,944,129 just under (then the missing data is the error).
    await expect(decodeImage(pngHeader(13378, 13377), 'edge.png')).rejects.toThrow(/over the decoding cap/);
    await expect(decodeImage(pngHeader(13377, 13377), 'edge.png')).rejects.toThrow(/edge\.png: truncated PNG/);
  });

  it.runIf(haveFixtures())('a JPEG whose frame header claims 30000×30000 is refused from the header', async () => {
    const jpeg = new Uint8Array(readFileSync(fixturePath('preprocess', 'photo_q90.jpg')));
    let sof = -1;
    for (let i = 2; i < jpeg.length - 9; i++) if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) { sof = i; break; }
    expect(sof).toBeGreaterThan(0);
    const v = new DataView(jpeg.buffer);
    v.setUint16(sof + 5, 30000); // height
    v.setUint16(sof + 7, 30000); // width
    await expect(decodeImage(jpeg, 'huge.jpg')).rejects.toThrow(/huge\.jpg: 30000×30000 = 900000000 pixels is over the decoding cap of 178956970/);
  });

  it('a 1×12000 PNG decodes but its resize to 256 (256×3,072,000) is refused', async () => {
    const png = encodePng({ width: 1, height: 12000, data: new Uint8Array(12000).fill(7), channels: 1, depth: 8 });
    const img = await decodeImage(png, 'thin.png');
    expect([img.width, img.height]).toEqual([1, 12000]);
    expect(() => preprocessRgb(img, 256)).toThrow(/resizing 1×12000 to a shorter side of 256 gives 256×3072000 = 786432000 pixels, over the cap/);
    expect(preprocessRgb(img, 8).pixels.length).toBe(3 * 64);
  });

  it('truncated stubs and other formats are named', async () => {
    await expect(decodeImage(Uint8Array.of(0x89, 0x50, 0x4e, 0x47), 'stub.png')).rejects.toThrow(/stub\.png: a truncated PNG \(4 bytes\)/);
    await expect(decodeImage(Uint8Array.of(0xff, 0xd8), 'stub.jpg')).rejects.toThrow(/a truncated JPEG \(2 bytes\)/);
    await expect(decodeImage(new TextEncoder().encode('GIF89a....'), 'x.gif')).rejects.toThrow(/a GIF image; only PNG and JPEG/);
    await expect(decodeImage(Uint8Array.of(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0), 'x.tif')).rejects.toThrow(/a TIFF image/);
  });

  it('preprocess --size 16384 is a clear error (exit 1), not "Invalid typed array length"; 40000 is out of range (exit 2)', async () => {
    const f = join(dir, 'small.png');
    writeFileSync(f, encodePng({ width: 4, height: 3, data: new Uint8Array(36), channels: 3, depth: 8 }));
    const r = await runCli('preprocess', f, '--size', '16384', '--out', join(dir, 'o.png'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/gives 21845×16384 = 357908480 pixels, over the cap/);
    const big = await runCli('preprocess', f, '--size', '40000', '--out', join(dir, 'o.png'));
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/--size must be a positive integer or a \[height, width\] pair of them, each at most 16384; got 40000/);
    const img = await readNodeImage(f, f);
    expect([img.width, img.height, img.data.length]).toEqual([4, 3, 36]);
  });
});
