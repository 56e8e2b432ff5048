import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GzipError, gunzipBounded } from '../../src/io/gzip.js';

const text = new TextEncoder().encode('a vocabulary line\n'.repeat(1000));
const gz = gzipSync(text);
const withTrailerSize = (bytes: Uint8Array, size: number) => {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.byteLength - 4, size, true);
  return out;
};

describe('gunzipBounded', () => {
  it('inflates a stream within the bound to exactly its bytes', () => {
    expect(gunzipBounded(gz, text.byteLength, 'vocabulary')).toEqual(text);
  });

  it('refuses a stream whose trailer names more than the bound, before inflating', () => {
    expect(() => gunzipBounded(gz, text.byteLength - 1, 'vocabulary')).toThrow(new GzipError(`inflates to ${text.byteLength} bytes, more than a vocabulary can be (${text.byteLength - 1})`));
  });

  it('refuses a trailer that understates the size (fflate stops silently at a full buffer: not a truncated file)', () => {
    expect(() => gunzipBounded(withTrailerSize(gz, 100), 1 << 20)).toThrow('inflates to more than the 100 bytes its trailer names');
    // A stream past 4 GiB names its size mod 2^32: the same check.
    expect(() => gunzipBounded(withTrailerSize(gz, 0), 1 << 20)).toThrow('inflates to more than the 0 bytes its trailer names');
  });

  it('refuses bytes that inflate but do not match the CRC', () => {
    const wrongCrc = gz.slice();
    wrongCrc[wrongCrc.byteLength - 8] ^= 1;
    expect(() => gunzipBounded(wrongCrc, 1 << 20)).toThrow('its bytes do not match its CRC');
  });

  it('refuses a trailer that overstates the size', () => {
    expect(() => gunzipBounded(withTrailerSize(gz, text.byteLength + 5), 1 << 20)).toThrow(`inflates to ${text.byteLength} bytes, not the ${text.byteLength + 5} its trailer names`);
  });

  it('names what is wrong with bytes that are not gzip, truncated or damaged', () => {
    expect(() => gunzipBounded(text, 1 << 20)).toThrow('is not a valid gzip file (no gzip header)');
    expect(() => gunzipBounded(gz.subarray(0, 10), 1 << 20)).toThrow('10 bytes, shorter than any gzip file (18)');
    const damaged = gz.slice();
    damaged.fill(0xff, 12, damaged.byteLength - 8);
    expect(() => gunzipBounded(damaged, 1 << 20)).toThrow(/is not a valid gzip file: (a damaged stream|its bytes do not match its CRC)|inflates to (\d+ bytes, not|more than) the/);
  });
});
