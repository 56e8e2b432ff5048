/** transpose2d moves each element's bytes unchanged, at every element size and from unaligned data. */
import { describe, expect, it } from 'vitest';
import { STORED_BYTES, type StoredDType, transpose2d } from '../../src/io/host-tensor.js';

describe('transpose2d', () => {
  for (const dtype of ['U8', 'F16', 'F32', 'F64'] as StoredDType[]) {
    it(`${dtype}: [3, 5] → [5, 3], element bytes moved, source unaligned`, () => {
      const [r, c] = [3, 5];
      const e = STORED_BYTES[dtype];
      // One byte of padding in front, so the element data starts at an odd offset.
      const backing = Uint8Array.from({ length: 1 + r * c * e }, (_, i) => (i * 37 + 11) & 255);
      const data = backing.subarray(1);
      const t = transpose2d({ dtype, shape: [r, c], data });
      expect(t.shape).toEqual([c, r]);
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) {
          expect(Array.from(t.data.subarray((j * r + i) * e, (j * r + i + 1) * e)), `${i},${j}`).toEqual(Array.from(data.subarray((i * c + j) * e, (i * c + j + 1) * e)));
        }
      }
    });
  }
});
