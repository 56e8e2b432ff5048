/**
 * A gzip stream inflated within a bound. The trailer names the inflated size (mod 2^32) and its
 * CRC-32: a bomb is refused before inflating; the output buffer is one byte more than that size
 * (fflate never grows it, and stops silently when it is full), so a stream that inflates to more
 * than its trailer says is caught, as is one whose bytes do not match its CRC. Messages are
 * predicates ("inflates to …"): the caller names the file and its kind.
 */
import { gunzipSync } from 'fflate';
import { crc32 } from './zip.js';

export class GzipError extends Error {
  override name = 'GzipError';
}

export function gunzipBounded(bytes: Uint8Array, maxBytes: number, kind = 'file'): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new GzipError('is not a valid gzip file (no gzip header)');
  if (bytes.byteLength < 18) throw new GzipError(`is not a valid gzip file: ${bytes.byteLength} bytes, shorter than any gzip file (18)`);
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 8, 8);
  const crc = trailer.getUint32(0, true);
  const size = trailer.getUint32(4, true);
  if (size > maxBytes) throw new GzipError(`inflates to ${size} bytes, more than a ${kind} can be (${maxBytes})`);
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes, { out: new Uint8Array(size + 1) });
  } catch (e) {
    throw new GzipError(`is not a valid gzip file: a damaged stream (${(e as Error).message})`);
  }
  if (out.byteLength > size) throw new GzipError(`inflates to more than the ${size} bytes its trailer names`);
  if (out.byteLength !== size) throw new GzipError(`inflates to ${out.byteLength} bytes, not the ${size} its trailer names`);
  if (crc32(out) !== crc) throw new GzipError('is not a valid gzip file: its bytes do not match its CRC (a damaged file)');
  return out;
}
