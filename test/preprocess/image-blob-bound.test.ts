/**
 * A Blob (a picked File, in the browser's openIndex and image reader) is bounded as an image file
 * read from disk is: one over SIZE_LIMITS.image is refused by its size, before any byte is read.
 */
import { describe, expect, it } from 'vitest';
import { SIZE_LIMITS } from '../../src/io/size-limits.js';
import { imageBlobBytes } from '../../src/preprocess/image-input.browser.js';

describe('imageBlobBytes', () => {
  it('refuses a Blob over the image limit by its size, without reading it', async () => {
    let read = false;
    const huge = { size: SIZE_LIMITS.image + 1, arrayBuffer: async () => ((read = true), new ArrayBuffer(0)) } as unknown as Blob;
    await expect(imageBlobBytes(huge, 'holiday.mov.jpg')).rejects.toThrow(`holiday.mov.jpg: ${SIZE_LIMITS.image + 1} bytes, more than an image can be (${SIZE_LIMITS.image} bytes)`);
    expect(read).toBe(false);
  });
  it('returns the bytes of one within it', async () => {
    const bytes = await imageBlobBytes(new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 7])]), 'x.png');
    expect(Array.from(bytes)).toEqual([0x89, 0x50, 0x4e, 0x47, 7]);
  });
});
