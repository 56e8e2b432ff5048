/**
 * Builds small torch.save-style archives for the hostile-input tests: a stored (uncompressed) ZIP
 * writer and a protocol-2 pickle writer for exactly the opcodes torch uses.
 */
import { deflateSync } from 'fflate';
import { crc32 } from '../../src/io/zip.js';

/** Per entry: deflate it (method 8) and/or make the directory claim another uncompressed size or CRC. */
export interface ZipEntryOptions {
  deflate?: boolean;
  declaredSize?: number;
  crc?: number;
}

export function storedZip(files: [string, Uint8Array, ZipEntryOptions?][]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, plain, o = {}] of files) {
    const data = o.deflate ? deflateSync(plain) : plain;
    const size = o.declaredSize ?? plain.length;
    const method = o.deflate ? 8 : 0;
    const crc = o.crc ?? crc32(plain);
    const n = enc.encode(name);
    const local = new Uint8Array(30 + n.length);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(8, method, true);
    dv.setUint32(14, crc, true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, size, true);
    dv.setUint16(26, n.length, true);
    local.set(n, 30);
    const c = new Uint8Array(46 + n.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, offset, true);
    c.set(n, 46);
    central.push(c);
    chunks.push(local, data);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...chunks, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const c of all) (out.set(c, p), (p += c.length));
  return out;
}

/** A minimal pickle writer: values are emitted as torch.save would. */
export class PickleWriter {
  private bytes: number[] = [0x80, 0x02];
  private enc = new TextEncoder();
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...this.enc.encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    return this.op(0x58, b.length & 255, (b.length >> 8) & 255, 0, 0, ...b);
  }
  /** BINFLOAT: a Python float (torch never writes one where a size belongs). */
  float(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    return this.op(0x47, ...b);
  }
  int(v: number): this {
    return this.op(0x4a, v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  }
  mark = () => this.op(0x28);
  tuple = () => this.op(0x74);
  emptyTuple = () => this.op(0x29);
  reduce = () => this.op(0x52);
  /** `_rebuild_tensor_v2(storage(type, key, numel), offset, size, stride, False, OrderedDict())` */
  tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    const num = (v: number) => (Number.isInteger(v) ? this.int(v) : this.float(v));
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageType).str(key).str('cpu').int(numel).tuple().op(0x51);
    this.int(offset).mark();
    size.forEach(num);
    this.tuple().mark();
    stride.forEach(num);
    this.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from([...this.bytes, 0x2e]);
  }
}
