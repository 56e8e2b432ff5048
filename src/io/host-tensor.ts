/**
 * A tensor on the host as checkpoints store it: dtype, shape and raw little-endian bytes (often a
 * zero-copy view into the file). A state dict is an ordered map of them by key name.
 */
import { fromBf16Bits, fromF16Bits } from '../runtime/dtype.js';
import { fmtShape, numel } from '../runtime/shape.js';

export type StoredDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const STORED_BYTES: Record<StoredDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export const FLOAT_DTYPES: readonly StoredDType[] = ['F64', 'F32', 'F16', 'BF16'];

export interface HostTensor {
  dtype: StoredDType;
  shape: number[];
  /** numel × element size bytes, little-endian. */
  data: Uint8Array;
}

export type StateDict = Map<string, HostTensor>;

/**
 * A state dict adapted from another key naming (src/checkpoints/) → each of its keys' name in the
 * file, so an error can name a key as the user's file spells it.
 */
const FILE_NAMES = new WeakMap<StateDict, ReadonlyMap<string, string>>();

export function setFileKeyNames(sd: StateDict, names: ReadonlyMap<string, string>): StateDict {
  FILE_NAMES.set(sd, names);
  return sd;
}

/** `key`'s name in the file `sd` was adapted from (the key itself where it was not renamed). */
export const fileKeyName = (sd: StateDict, key: string): string => FILE_NAMES.get(sd)?.get(key) ?? key;

function view<T>(data: Uint8Array, bytesPer: number, make: (buf: ArrayBufferLike, off: number, len: number) => T): T {
  const len = data.byteLength / bytesPer;
  if (data.byteOffset % bytesPer === 0) return make(data.buffer, data.byteOffset, len);
  return make(data.slice().buffer, 0, len);
}

/** Float data as float32: F16 and BF16 widened exactly, F64 rounded, F32 a view when aligned. */
export function toFloat32(t: HostTensor, name = 'tensor'): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return view(t.data, 4, (b, o, n) => new Float32Array(b, o, n));
    case 'F16':
      return fromF16Bits(view(t.data, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'BF16':
      return fromBf16Bits(view(t.data, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'F64':
      return Float32Array.from(view(t.data, 8, (b, o, n) => new Float64Array(b, o, n)));
    default:
      throw new TypeError(`${name} is ${t.dtype} ${fmtShape(t.shape)}, not a floating-point tensor`);
  }
}

/** Integer data as int32; an I64 value outside the int32 range is an error. */
export function toInt32(t: HostTensor, name = 'tensor'): Int32Array {
  switch (t.dtype) {
    case 'I32':
      return Int32Array.from(view(t.data, 4, (b, o, n) => new Int32Array(b, o, n)));
    case 'I64': {
      const v = view(t.data, 8, (b, o, n) => new BigInt64Array(b, o, n));
      return Int32Array.from(v, (x, i) => {
        if (x > 2147483647n || x < -2147483648n) throw new RangeError(`${name}[${i}] = ${x} does not fit in int32`);
        return Number(x);
      });
    }
    case 'I16':
      return Int32Array.from(view(t.data, 2, (b, o, n) => new Int16Array(b, o, n)));
    case 'I8':
      return Int32Array.from(new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(t.data);
    default:
      throw new TypeError(`${name} is ${t.dtype} ${fmtShape(t.shape)}, not an integer tensor`);
  }
}

export function float32Tensor(data: Float32Array, shape: readonly number[]): HostTensor {
  if (data.length !== numel(shape)) throw new RangeError(`${data.length} values do not fill shape ${fmtShape(shape)}`);
  return { dtype: 'F32', shape: [...shape], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export const isFloat = (t: HostTensor): boolean => FLOAT_DTYPES.includes(t.dtype);

/** Index of the first NaN or ±Inf in a float tensor (read from the stored bits, no conversion), or -1. */
export function firstNonFinite(t: HostTensor): number {
  const d = t.data;
  const n = d.byteLength;
  switch (t.dtype) {
    case 'F32': // exponent bits all ones; little-endian: byte 3 holds the sign and 7 exponent bits
      if (d.byteOffset % 4 === 0) {
        // One 32-bit read per value where aligned (4× fewer loads than the bytes).
        const w = new Uint32Array(d.buffer, d.byteOffset, n / 4);
        const block = firstFlaggedBlock(w, 0x7f800000, 0x00800000, 0x80000000);
        if (block < 0) return -1;
        for (let i = block; i < w.length; i++) if ((w[i] & 0x7f800000) === 0x7f800000) return i;
        return -1;
      }
      for (let i = 0; i < n; i += 4) if ((d[i + 3] & 0x7f) === 0x7f && (d[i + 2] & 0x80) === 0x80) return i / 4;
      return -1;
    case 'F16':
      return firstNonFiniteF16(d);
    case 'BF16':
      for (let i = 0; i < n; i += 2) if ((d[i + 1] & 0x7f) === 0x7f && (d[i] & 0x80) === 0x80) return i / 2;
      return -1;
    case 'F64':
      for (let i = 0; i < n; i += 8) if ((d[i + 7] & 0x7f) === 0x7f && (d[i + 6] & 0xf0) === 0xf0) return i / 8;
      return -1;
    default:
      return -1;
  }
}

/** A half is non-finite when its five exponent bits (0x7c00) are all ones. */
const F16_EXPONENT = 0x7c00;

/** firstNonFinite of F16 bytes: two halves per 32-bit read where aligned (a whole checkpoint is scanned at load). */
function firstNonFiniteF16(d: Uint8Array): number {
  const n = d.byteLength >> 1;
  if (d.byteOffset % 2 !== 0) {
    for (let i = 0; i < n; i++) if ((d[2 * i + 1] & 0x7c) === 0x7c) return i;
    return -1;
  }
  if (n === 0) return -1;
  const h = new Uint16Array(d.buffer, d.byteOffset, n);
  let i = 0;
  if (d.byteOffset % 4 !== 0) {
    if ((h[0] & F16_EXPONENT) === F16_EXPONENT) return 0;
    i = 1;
  }
  // Little-endian: a word's low half is the earlier value.
  const words = new Uint32Array(d.buffer, d.byteOffset + 2 * i, (n - i) >> 1);
  const block = firstFlaggedBlock(words, 0x7c007c00, 0x04000400, 0x80008000);
  if (block >= 0) i += 2 * block;
  for (let w = block < 0 ? words.length : block; w < words.length; w++, i += 2) {
    const v = words[w];
    if ((v & F16_EXPONENT) === F16_EXPONENT) return i;
    if (((v >>> 16) & F16_EXPONENT) === F16_EXPONENT) return i + 1;
  }
  if (block < 0) i += 2 * words.length;
  if (i < n && (h[i] & F16_EXPONENT) === F16_EXPONENT) return i;
  return -1;
}

/**
 * The start of the first block of 1024 words holding an exponent field that is all ones, or -1:
 * a whole checkpoint is scanned at load, so the scan is branch-free within a block. `field`
 * masks the exponent field(s) of a word; adding `carry` (the field's lowest bit) to a masked
 * field carries into the bit above it (`flag`) exactly when every bit of the field is set, and
 * the masked bits above each field are zero, so one field's carry never reaches another's.
 * Cost: four integer operations per word.
 */
function firstFlaggedBlock(words: Uint32Array, field: number, carry: number, flag: number): number {
  const BLOCK = 1024;
  for (let b = 0; b < words.length; b += BLOCK) {
    const end = Math.min(words.length, b + BLOCK);
    let acc = 0;
    for (let w = b; w < end; w++) acc |= (words[w] & field) + carry;
    if (acc & flag) return b;
  }
  return -1;
}

/** A 2-D [rows, cols] tensor transposed on the host (any element size), bits unchanged. */
export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const e = STORED_BYTES[t.dtype];
  const src = t.data.byteOffset % e ? t.data.slice() : t.data; // typed views need aligned offsets
  const out = new Uint8Array(src.byteLength);
  // One element per index, whatever its size (the element values are only moved, never read).
  const View = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array, 8: BigUint64Array }[e as 1 | 2 | 4 | 8];
  const view = (d: Uint8Array) => new View(d.buffer as ArrayBuffer, d.byteOffset, r * c) as unknown as Uint32Array;
  const from = view(src);
  const to = view(out);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) to[j * r + i] = from[i * c + j];
  return { dtype: t.dtype, shape: [c, r], data: out };
}
