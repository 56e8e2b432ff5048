/**
 * safetensors reader and writer (there is no usable npm package). Format: 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?},
 * then the raw little-endian data; offsets are relative to the end of the header.
 * Reading keeps one copy of the file: tensors are views into it (copied only when misaligned).
 * Every problem gets an error naming the file, the tensor and what is wrong.
 */
import { fmtShape, numel } from '../runtime/shape.js';
import { type HostTensor, STORED_BYTES, type StateDict, type StoredDType, toFloat32, toInt32 } from './host-tensor.js';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorInfo {
  name: string;
  dtype: StoredDType;
  shape: number[];
  /** Byte range within the file. */
  begin: number;
  end: number;
}

/** Largest header we accept: real headers are a few hundred KB; a bigger one is corrupt or hostile. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

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
    if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} is implausibly large (limit ${MAX_HEADER_BYTES})`);
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
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
        metadata = raw as Record<string, string>;
        continue;
      }
      const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry is not an object`);
      if (typeof e.dtype !== 'string' || !(e.dtype in STORED_BYTES)) fail(`tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}`);
      const dtype = e.dtype as StoredDType;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": invalid shape ${JSON.stringify(e.shape)}`);
      const shape = e.shape as number[];
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
        fail(`tensor "${name}": invalid data_offsets ${JSON.stringify(off)}`);
      }
      const [b, en] = off as number[];
      if (en > dataLen) fail(`tensor "${name}": data_offsets [${b}, ${en}] run past the end of the data (${dataLen} bytes): truncated file`);
      const want = numel(shape) * STORED_BYTES[dtype];
      if (en - b !== want) fail(`tensor "${name}": ${en - b} bytes of data but ${dtype} ${fmtShape(shape)} needs ${want}`);
      tensors.set(name, { name, dtype, shape, begin: dataStart + b, end: dataStart + en });
    }
    // JSON.parse keeps the last of duplicate keys silently; re-scan the header text for them.
    checkDuplicateNames(bytes.subarray(8, 8 + hl), fail);
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

  /** The tensor as stored (a view into the file). */
  get(name: string): HostTensor {
    const t = this.info(name);
    return { dtype: t.dtype, shape: t.shape, data: this.bytes.subarray(t.begin, t.end) };
  }

  toStateDict(): StateDict {
    return new Map(this.names.map((n) => [n, this.get(n)]));
  }

  /** Float data as float32 (F16 and BF16 widened; F32 a zero-copy view when aligned). */
  float32(name: string): Float32Array {
    return toFloat32(this.get(name), `${this.source}: "${name}"`);
  }

  int32(name: string): Int32Array {
    return toInt32(this.get(name), `${this.source}: "${name}"`);
  }

  uint8(name: string): Uint8Array {
    const t = this.get(name);
    if (t.dtype !== 'U8') throw new SafetensorsError(`${this.source}: tensor "${name}" is ${t.dtype}, not U8`);
    return t.data;
  }
}

function checkDuplicateNames(headerBytes: Uint8Array, fail: (m: string) => never): void {
  // A tiny scanner of the JSON text: top-level keys only (strings and nesting).
  const s = new TextDecoder().decode(headerBytes);
  let depth = 0;
  const seen = new Set<string>();
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < s.length && (s[k] === ' ' || s[k] === '\n' || s[k] === '\t' || s[k] === '\r')) k++;
        if (s[k] === ':') {
          const key = JSON.parse(s.slice(i, j + 1)) as string;
          if (seen.has(key)) fail(`duplicate tensor name "${key}" in the header`);
          seen.add(key);
        }
      }
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
}

/**
 * Serialises a state dict. Tensors are grouped by decreasing element size (keeping each one's order
 * otherwise) and the header is padded to 8 bytes, so every tensor is aligned for typed-array views.
 */
export function writeSafetensors(sd: StateDict, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const entries = [...sd.entries()];
  const order = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => STORED_BYTES[b.e[1].dtype] - STORED_BYTES[a.e[1].dtype] || a.i - b.i)
    .map((x) => x.e);
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of order) {
    const want = numel(t.shape) * STORED_BYTES[t.dtype];
    if (t.data.byteLength !== want) throw new SafetensorsError(`writing "${name}": ${t.data.byteLength} bytes for ${t.dtype} ${fmtShape(t.shape)} (needs ${want})`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + want] };
    offset += want;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const [, t] of order) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}
