/** Element types a tensor can hold on the GPU. f16 needs the adapter's `shader-f16` feature. */
export type DType = 'f32' | 'f16' | 'i32';

/** How a model stores its weights and activations on the GPU ('f16' needs `shader-f16`; arithmetic stays f32). */
export type StorageDType = 'f32' | 'f16';

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, f16: 2, i32: 4 };

export type HostArray = Float32Array | Int32Array | Uint16Array;

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bits of a float32, rounded to nearest even (what PyTorch's `.half()` does). */
export function f32ToF16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to inf
  if (e <= 0) {
    if (e < -10) return sign; // underflows to signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let m = mant >>> 13;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** The float value of IEEE binary16 bits (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toF16Bits(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]);
  return out;
}

let f16Table: Uint32Array | null = null;

/** Widens f16 bits to float32 (exact) through a 65536-entry table of float32 bits: checkpoints hold millions. */
export function fromF16Bits(src: Uint16Array): Float32Array {
  if (!f16Table) {
    const values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) values[h] = f16BitsToF32(h);
    f16Table = new Uint32Array(values.buffer);
  }
  const t = f16Table;
  const n = src.length;
  // Bits in, bits out (no float conversion), and two halves per 32-bit read where the data is
  // 4-byte aligned: ~1.4× the one-at-a-time loop. Little-endian, as every engine we run on (and
  // the checkpoint formats) is: the first half is the low one.
  const out = new Uint32Array(n);
  if (n === 0) return new Float32Array(0);
  let i = 0;
  if (src.byteOffset % 4 !== 0) out[i++] = t[src[0]];
  const words = new Uint32Array(src.buffer, src.byteOffset + 2 * i, (n - i) >> 1);
  for (let w = 0; w < words.length; w++, i += 2) {
    const v = words[w];
    out[i] = t[v & 0xffff];
    out[i + 1] = t[v >>> 16];
  }
  if (i < n) out[i] = t[src[i]];
  return new Float32Array(out.buffer);
}

/** bfloat16 bits are the high half of a float32. */
export function fromBf16Bits(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

/** float32 → bfloat16 bits, rounded to nearest even (NaN stays a quiet NaN). */
export function toBf16Bits(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | 0x40;
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}
