/**
 * A ZIP reader for torch.save archives: the central directory (ZIP64 included: checkpoints can pass
 * 4 GB), stored entries as zero-copy views into the file, deflated ones inflated by fflate. We parse
 * the directory ourselves because the unzip libraries copy every entry, which would double the
 * memory of a multi-hundred-MB checkpoint; fflate is used only for inflate (small, dependency-free,
 * and the same code in Node and browsers).
 */
import { Inflate, inflateSync } from 'fflate';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source = 'zip',
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readDirectory();
  }

  private fail(msg: string): never {
    throw new ZipError(`${this.source}: ${msg}`);
  }

  private u16 = (o: number) => this.dv.getUint16(o, true);
  private u32 = (o: number) => this.dv.getUint32(o, true);
  private u64(o: number): number {
    const v = this.dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('a ZIP64 size or offset is too large');
    return Number(v);
  }

  private readDirectory(): void {
    const n = this.bytes.byteLength;
    if (n < 22) this.fail(`truncated: ${n} bytes is too small for a ZIP archive`);
    let eocd = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
      if (this.u32(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail('no ZIP end-of-central-directory record: the file is truncated or not a ZIP archive');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (eocd >= 20 && this.u32(eocd - 20) === EOCD64_LOCATOR) {
      const rec = this.u64(eocd - 20 + 8);
      if (rec + 56 > n || this.u32(rec) !== EOCD64) this.fail('broken ZIP64 end-of-central-directory record');
      count = this.u64(rec + 32);
      cdSize = this.u64(rec + 40);
      cdOffset = this.u64(rec + 48);
    }
    if (cdOffset + cdSize > n) this.fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end (${n} bytes): truncated file`);
    let p = cdOffset;
    for (let k = 0; k < count; k++) {
      if (p + 46 > n || this.u32(p) !== CENTRAL) this.fail(`central directory entry ${k} is corrupt`);
      const method = this.u16(p + 10);
      const crc32 = this.u32(p + 16);
      let compressedSize = this.u32(p + 20);
      let size = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let localHeaderOffset = this.u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > n) this.fail(`central directory entry ${k} runs past the end of the file: truncated or corrupt`);
      const name = new TextDecoder().decode(this.bytes.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extra field: 8-byte values for whichever 32-bit fields are saturated, in this order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const field = (): number => {
            if (q + 8 > Math.min(e + 4 + len, eEnd)) this.fail(`central directory entry ${k}: ZIP64 extra field too short`);
            return this.u64((q += 8) - 8);
          };
          if (size === 0xffffffff) size = field();
          if (compressedSize === 0xffffffff) compressedSize = field();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = field();
        }
        e += 4 + len;
      }
      if (this.entries.has(name)) this.fail(`duplicate entry "${name}"`);
      this.entries.set(name, { name, method, compressedSize, size, crc32, localHeaderOffset });
      p = eEnd + commentLen;
    }
  }

  /**
   * The entry's bytes: a view for stored entries, a new array for deflated ones. With `prefix`, a
   * deflated entry keeps only its first `prefix` bytes (streamed through, the CRC still over all),
   * so a huge storage of which a checkpoint uses 8 floats costs 32 bytes of memory, not gigabytes.
   */
  read(name: string, opts: { verifyCrc?: boolean; prefix?: number } = {}): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`no entry "${name}"`);
    const h = e.localHeaderOffset;
    if (h + 30 > this.bytes.byteLength || this.u32(h) !== LOCAL) this.fail(`entry "${name}": corrupt local header`);
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const end = start + e.compressedSize;
    if (end > this.bytes.byteLength) this.fail(`entry "${name}" runs past the end of the file: truncated`);
    const raw = this.bytes.subarray(start, end);
    let data: Uint8Array;
    // Sizes are checked against the directory before anything is allocated: deflate expands at most ~1032:1.
    if (e.method === 0 && e.size !== e.compressedSize) this.fail(`entry "${name}": stored with ${e.compressedSize} bytes but declares ${e.size}`);
    if (e.method === 8 && e.size > e.compressedSize * 1032 + 1024) this.fail(`entry "${name}" declares ${e.size} bytes from ${e.compressedSize} compressed, more than deflate can produce`);
    if (e.method === 0) data = raw;
    else if (e.method === 8 && opts.prefix !== undefined && opts.prefix < e.size) return this.inflatePrefix(e, raw, opts.prefix, opts.verifyCrc ?? false);
    else if (e.method === 8) {
      try {
        data = inflateSync(raw, { out: new Uint8Array(e.size) });
      } catch (err) {
        this.fail(`entry "${name}": corrupt deflate data (${(err as Error).message})`);
      }
    } else this.fail(`entry "${name}": unsupported compression method ${e.method}`);
    if (data.byteLength !== e.size) this.fail(`entry "${name}": ${data.byteLength} bytes, directory says ${e.size}`);
    if (opts.verifyCrc && crc32(data) !== e.crc32) this.fail(`entry "${name}": CRC mismatch (corrupt file)`);
    return data;
  }

  private inflatePrefix(e: ZipEntry, raw: Uint8Array, prefix: number, verifyCrc: boolean): Uint8Array {
    const out = new Uint8Array(prefix);
    let total = 0;
    let crc = 0;
    const inflater = new Inflate((chunk) => {
      if (total < prefix) out.set(chunk.subarray(0, prefix - total), total);
      total += chunk.length;
      if (total > e.size) this.fail(`entry "${e.name}": inflates past the ${e.size} bytes the directory declares`);
      if (verifyCrc) crc = crc32(chunk, crc);
    });
    try {
      // Small pushes: each emits at most what 16 KiB can inflate to, so memory stays bounded.
      for (let p = 0; p < raw.length; p += 16384) inflater.push(raw.subarray(p, p + 16384), p + 16384 >= raw.length);
    } catch (err) {
      if (err instanceof ZipError) throw err;
      this.fail(`entry "${e.name}": corrupt deflate data (${(err as Error).message})`);
    }
    if (total !== e.size) this.fail(`entry "${e.name}": ${total} bytes, directory says ${e.size}`);
    if (verifyCrc && crc !== e.crc32) this.fail(`entry "${e.name}": CRC mismatch (corrupt file)`);
    return out;
  }
}

/** Eight 256-entry tables for slicing-by-8: a storage of hundreds of MB is checked at ~1.5 GB/s, not 0.4. */
let tables: Uint32Array | null = null;
function crcTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) for (let k = 1; k < 8; k++) t[k * 256 + i] = (t[(k - 1) * 256 + i] >>> 8) ^ t[t[(k - 1) * 256 + i] & 0xff];
  return t;
}

/** CRC-32 (ZIP's and PNG's polynomial); `crc` continues a previous result over more data. */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = (tables ??= crcTables());
  let c = (crc ^ 0xffffffff) >>> 0;
  let i = 0;
  for (const n8 = data.length - 8; i <= n8; i += 8) {
    const a = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    c =
      t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + data[i + 4]] ^ t[512 + data[i + 5]] ^ t[256 + data[i + 6]] ^ t[data[i + 7]];
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
