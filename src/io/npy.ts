/**
 * NumPy's .npy format, version 1.0, for float32 matrices: what `numpy.load` reads with no other
 * package. The header is a Python dict literal, padded with spaces and a newline so the data
 * starts at a multiple of 64 bytes (the format's alignment).
 */

/** `rows × cols` float32 values, row-major, little-endian ('<f4'), as an .npy file's bytes. */
export function writeNpyFloat32(data: Float32Array, rows: number, cols: number): Uint8Array {
  if (data.length !== rows * cols) throw new RangeError(`npy: ${data.length} values for a ${rows} × ${cols} matrix`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const headerLength = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  const out = new Uint8Array(preamble + headerLength + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLength, true);
  out.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), preamble);
  const values = new DataView(out.buffer, preamble + headerLength);
  for (let i = 0; i < data.length; i++) values.setFloat32(i * 4, data[i], true);
  return out;
}
