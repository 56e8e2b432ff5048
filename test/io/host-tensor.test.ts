/**
 * transpose2d moves each element's bytes unchanged, at every element size and from unaligned data;
 * the f16 widening and the non-finite scans (which read two halves, or one float, per 32-bit word
 * where aligned) agree with plain per-element references at every alignment and odd lengths.
 */
import { describe, expect, it } from 'vitest';
import { firstNonFinite, STORED_BYTES, type StoredDType, toFloat32, transpose2d } from '../../src/io/host-tensor.js';
import { f16BitsToF32, fromF16Bits } from '../../src/runtime/dtype.js';

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

/** `length` values' bytes starting `offset` bytes into a fresh buffer (so the view is at that alignment). */
function placed(bytes: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(offset + bytes.byteLength + 3);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.byteLength);
}

describe('fromF16Bits', () => {
  it('widens all 65536 bit patterns exactly as f16BitsToF32, at both 2-byte alignments and odd lengths', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const want = new Uint32Array(Float32Array.from(all, f16BitsToF32).buffer);
    for (const start of [0, 1, 2, 3]) {
      for (const length of [0, 1, 2, 3, 4, 7, 65536 - start]) {
        const src = all.subarray(start, start + length);
        const got = new Uint32Array(fromF16Bits(src).buffer);
        expect(got.length, `start ${start}, length ${length}`).toBe(length);
        // Compared as bits (NaN included): the widening moves no value through a float conversion.
        expect(Array.from(got).every((b, i) => b === want[start + i]), `start ${start}, length ${length}`).toBe(true);
      }
    }
  });

  it('toFloat32 of F16 bytes at an odd byte offset is copied aligned first and widened the same', () => {
    const halves = Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7bff, 0x8400);
    const t = toFloat32({ dtype: 'F16', shape: [5], data: placed(new Uint8Array(halves.buffer), 1) });
    expect(Array.from(t)).toEqual(Array.from(halves, f16BitsToF32));
  });
});

describe('firstNonFinite at every alignment', () => {
  /** The first index whose float value is NaN or ±Inf, by widening each value on its own. */
  const reference = (values: number[]) => values.findIndex((v) => !Number.isFinite(v));
  const finiteF16 = [0x3c00, 0x8000, 0x0001, 0x7bff, 0xfbff, 0x03ff, 0x4248];
  for (const bad of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
    it(`F16 ${bad.toString(16)} found at each position of odd and even lengths, at byte offsets 0-3`, () => {
      for (const length of [0, 1, 2, 5, 8, 9]) {
        for (let at = -1; at < length; at++) {
          const halves = Uint16Array.from({ length }, (_, i) => (i === at ? bad : finiteF16[i % finiteF16.length]));
          const want = reference(Array.from(halves, f16BitsToF32));
          for (const offset of [0, 1, 2, 3]) {
            const data = placed(new Uint8Array(halves.buffer), offset);
            expect(firstNonFinite({ dtype: 'F16', shape: [length], data }), `length ${length}, at ${at}, offset ${offset}`).toBe(want);
          }
        }
      }
    });
  }
  it('F32 NaN and ±Inf found at each position, aligned and not; the largest finite values are not', () => {
    for (const bad of [NaN, Infinity, -Infinity, 3.4028234663852886e38]) {
      for (const length of [0, 1, 4, 7]) {
        for (let at = -1; at < length; at++) {
          const values = Float32Array.from({ length }, (_, i) => (i === at ? bad : (i - 3) * 0.37));
          const want = reference(Array.from(values));
          for (const offset of [0, 1, 2, 4]) {
            const data = placed(new Uint8Array(values.buffer), offset);
            expect(firstNonFinite({ dtype: 'F32', shape: [length], data }), `${bad}, length ${length}, at ${at}, offset ${offset}`).toBe(want);
          }
        }
      }
    }
  });
  it('F16 and F32 over many blocks of the scan: a bad value at a block edge, in a later block, in the tail; two bad values give the first; every finite f16 exponent passes', () => {
    // 1024 words a block: F16 blocks are 2048 values, F32 blocks 1024.
    for (const [dtype, perBlock] of [['F16', 2048], ['F32', 1024]] as const) {
      const length = 5 * perBlock + 3;
      for (const at of [-1, 0, perBlock - 1, perBlock, 3 * perBlock + 1, 5 * perBlock, length - 1]) {
        for (const second of [-1, length - 2]) {
          const bad = (i: number) => i === at || (i === second && at >= 0 && second > at);
          const data =
            dtype === 'F16'
              ? new Uint8Array(Uint16Array.from({ length }, (_, i) => (bad(i) ? 0xfc00 : (i * 0x0401) & 0xfbff)).buffer) // exponents 0-30, both signs
              : new Uint8Array(Float32Array.from({ length }, (_, i) => (bad(i) ? NaN : (i % 2 ? -3.4028234663852886e38 : i * 1e-3))).buffer);
          for (const offset of [0, 2]) {
            expect(firstNonFinite({ dtype, shape: [length], data: placed(data, offset) }), `${dtype} at ${at}, second ${second}, offset ${offset}`).toBe(at);
          }
        }
      }
    }
  });
});
