/**
 * What the JPEG decoder refuses, by name. First the progressive scan limit: a progressive JPEG may
 * repeat a scan any number of times, and each scan costs a pass over the whole coefficient buffer,
 * so a small file can take minutes (libjpeg-turbo's TJPARAM_SCANLIMIT exists for this). We refuse
 * more than 500 scans, by name and before decoding the rest. The file is written here segment by
 * segment: an 8×8 grey progressive JPEG whose DC-first scan (every coefficient 0, so every pixel
 * 128) is repeated n times. A repeated DC-first scan is legal (libjpeg checks that Ah matches the
 * previous Al, which holds), so no warning stops the decode earlier: with 500 scans the file
 * decodes, with 501 the limit alone refuses it. Then sample precision: like PIL, we decode 8-bit
 * JPEGs only; the same file with a 12- or 16-bit frame header is refused (the build leaves
 * libjpeg-turbo's 12- and 16-bit modules out).
 */
import { describe, expect, it } from 'vitest';
import '../../src/preprocess/image-input.node.js';
import { decodeImage } from '../../src/preprocess/decode.js';

/** A marker segment: FF, the marker, a 16-bit length that counts itself, the payload. */
const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];

function manyScanJpeg(scans: number, precision = 8): Uint8Array {
  const bytes = [0xff, 0xd8]; // SOI
  bytes.push(...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)])); // DQT: table 0, all steps 1
  bytes.push(...segment(0xc2, [precision, 0, 8, 0, 8, 1, 1, 0x11, 0])); // SOF2: 8×8, 1 component (id 1, 1×1, table 0)
  // DHT: DC table 0 with one code, "0" (1 bit), for category 0 (a zero difference).
  bytes.push(...segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0]));
  for (let i = 0; i < scans; i++) {
    // SOS: component 1 with DC table 0; Ss = Se = 0 (DC), Ah = Al = 0 (first scan, full precision).
    bytes.push(...segment(0xda, [1, 1, 0x00, 0, 0, 0x00]));
    bytes.push(0x7f); // one block: code "0" (difference 0), padded with 1 bits
  }
  bytes.push(0xff, 0xd9); // EOI
  return Uint8Array.from(bytes);
}

describe('JPEGs the decoder refuses', () => {
  it('500 scans decode (every pixel 128)', async () => {
    const img = await decodeImage(manyScanJpeg(500), 'scans-500.jpg');
    expect([img.width, img.height, img.mode]).toEqual([8, 8, 'L']);
    expect([...new Set(img.data)]).toEqual([128]);
  });

  it('501 scans are refused by name, before the rest of the file is decoded', async () => {
    const bytes = manyScanJpeg(501);
    const t0 = performance.now();
    await expect(decodeImage(bytes, 'scans-501.jpg')).rejects.toThrow(/scans-501\.jpg: progressive JPEG with more than 500 scans/);
    const ms = performance.now() - t0;
    console.log(`501 scans (${bytes.length} bytes) refused in ${ms.toFixed(1)} ms`);
    // A file of 100000 repeated scans (1.1 MB) is refused as quickly: the limit, not the data, ends it.
    const big = manyScanJpeg(100_000);
    const t1 = performance.now();
    await expect(decodeImage(big, 'scans-100000.jpg')).rejects.toThrow(/more than 500 scans/);
    const msBig = performance.now() - t1;
    console.log(`100000 scans (${big.length} bytes) refused in ${msBig.toFixed(1)} ms`);
    expect(msBig).toBeLessThan(1000);
    // The decoder is usable afterwards (the refusal unwinds the wasm and drops the instance).
    expect((await decodeImage(manyScanJpeg(3), 'scans-3.jpg')).width).toBe(8);
  });

  it('a 12-bit JPEG is refused by name; the decoder is usable afterwards', async () => {
    await expect(decodeImage(manyScanJpeg(1, 12), 'deep.jpg')).rejects.toThrow(/deep\.jpg: a 12-bit JPEG; only 8-bit JPEGs are decoded/);
    await expect(decodeImage(manyScanJpeg(1, 16), 'deeper.jpg')).rejects.toThrow(/deeper\.jpg: a 16-bit JPEG; only 8-bit/);
    expect((await decodeImage(manyScanJpeg(1), 'shallow.jpg')).width).toBe(8);
  });
});
