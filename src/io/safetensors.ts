/**
 * safetensors reader (there is no usable npm package). Format: 8-byte little-endian header length,
 * a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}, then the
 * raw little-endian data; offsets are relative to the end of the header.
 * Every problem gets an error naming the file, the tensor and what is wrong.
 */
import { fromBf16Bits, fromF16Bits } from '../gpu/dtype.js';
import { fmtShape, numel } from '../gpu/shape.js';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte range within the file. */
  begin: number;
  end: number;
}

/** A parsed file: the header index plus the bytes; tensors are decoded on request. */
export class SafetensorsFile {
  private constructor(
    readonly source: string,
    readonly bytes: Uint8Array,
    readonly tensors: Map<string, TensorInfo>,
    readonly metadata: Record<string, string>,
  ) {}

  static parse(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
    const fail = (msg: string): never => {
      throw new SafetensorsError(`${source}: ${msg}`);
    };
    if (bytes.byteLength < 8) fail(`truncated file: ${bytes.byteLength} bytes, less than the 8-byte header length`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLen = dv.getBigUint64(0, true);
    if (headerLen > BigInt(bytes.byteLength - 8)) {
      fail(`header length ${headerLen} runs past the end of the file (${bytes.byteLength} bytes): truncated or not a safetensors file`);
    }
    const hl = Number(headerLen);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hl)));
    } catch (e) {
      fail(`invalid JSON header: ${(e as Error).message}`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
    const dataStart = 8 + hl;
    const dataLen = bytes.byteLength - dataStart;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof raw !== 'object' || raw === null) fail('__metadata__ is not an object');
        metadata = raw as Record<string, string>;
        continue;
      }
      const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry is not an object`);
      if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail(`tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}`);
      const dtype = e.dtype as SafetensorsDType;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": invalid shape ${JSON.stringify(e.shape)}`);
      const shape = e.shape as number[];
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
        fail(`tensor "${name}": invalid data_offsets ${JSON.stringify(off)}`);
      }
      const [b, en] = off as number[];
      if (en > dataLen) fail(`tensor "${name}": data_offsets [${b}, ${en}] run past the end of the data (${dataLen} bytes): truncated file`);
      const want = numel(shape) * DTYPE_BYTES[dtype];
      if (en - b !== want) fail(`tensor "${name}": ${en - b} bytes of data but ${dtype} ${fmtShape(shape)} needs ${want}`);
      tensors.set(name, { name, dtype, shape, begin: dataStart + b, end: dataStart + en });
    }
    // JSON.parse keeps the last of duplicate keys silently; a duplicate name is caught by re-scanning.
    checkDuplicateNames(bytes.subarray(8, 8 + hl), tensors.size, fail);
    const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((x, y) => x.begin - y.begin);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].begin < sorted[i - 1].end) fail(`tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
    }
    return new SafetensorsFile(source, bytes, tensors, metadata);
  }

  get names(): string[] {
    return [...this.tensors.keys()];
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(`${this.source}: no tensor named "${name}"`);
    return t;
  }

  /** Float data as float32 (F16 and BF16 converted, F32 a zero-copy view when aligned). */
  float32(name: string): Float32Array {
    const t = this.info(name);
    const raw = this.bytes.subarray(t.begin, t.end);
    const n = numel(t.shape);
    switch (t.dtype) {
      case 'F32':
        return aligned(raw, 4) ? new Float32Array(raw.buffer, raw.byteOffset, n) : new Float32Array(raw.slice().buffer);
      case 'F16':
        return fromF16Bits(aligned(raw, 2) ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(raw.slice().buffer));
      case 'BF16':
        return fromBf16Bits(aligned(raw, 2) ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(raw.slice().buffer));
      case 'F64':
        return Float32Array.from(new Float64Array(raw.slice().buffer));
      default:
        throw new SafetensorsError(`${this.source}: tensor "${name}" is ${t.dtype}, not a float tensor`);
    }
  }

  /** Integer data as int32 (I64 checked to fit). */
  int32(name: string): Int32Array {
    const t = this.info(name);
    const raw = this.bytes.slice(t.begin, t.end);
    switch (t.dtype) {
      case 'I32':
        return new Int32Array(raw.buffer);
      case 'I64': {
        const v = new BigInt64Array(raw.buffer);
        return Int32Array.from(v, (x, i) => {
          if (x > 2147483647n || x < -2147483648n) throw new SafetensorsError(`${this.source}: "${name}"[${i}] = ${x} does not fit in int32`);
          return Number(x);
        });
      }
      case 'U8':
      case 'I8':
      case 'I16':
      case 'BOOL':
        return Int32Array.from(t.dtype === 'I8' ? new Int8Array(raw.buffer) : t.dtype === 'I16' ? new Int16Array(raw.buffer) : raw);
      default:
        throw new SafetensorsError(`${this.source}: tensor "${name}" is ${t.dtype}, not an integer tensor`);
    }
  }

  /** Raw bytes of a U8 tensor (images). */
  uint8(name: string): Uint8Array {
    const t = this.info(name);
    if (t.dtype !== 'U8') throw new SafetensorsError(`${this.source}: tensor "${name}" is ${t.dtype}, not U8`);
    return this.bytes.subarray(t.begin, t.end);
  }
}

const aligned = (a: Uint8Array, n: number) => a.byteOffset % n === 0;

function checkDuplicateNames(headerBytes: Uint8Array, unique: number, fail: (m: string) => never): void {
  // Count top-level keys with a tiny scanner of the JSON text (strings and nesting only).
  const s = new TextDecoder().decode(headerBytes);
  let depth = 0;
  let count = 0;
  const seen = new Set<string>();
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < s.length && /\s/.test(s[k])) k++;
        if (s[k] === ':') {
          const key = JSON.parse(s.slice(i, j + 1)) as string;
          if (key !== '__metadata__') {
            count++;
            if (seen.has(key)) fail(`duplicate tensor name "${key}" in the header`);
            seen.add(key);
          }
        }
      }
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  if (count !== unique) fail(`header lists ${count} tensors but ${unique} distinct names`);
}
