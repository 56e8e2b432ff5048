/**
 * The fuzz targets: for each input class, how a seed becomes a mutated input, what the product
 * does with it, and what counts as a correct ending. A case passes with a result that holds the
 * class's invariants, or with one of the class's named errors whose message names the input;
 * anything else (a TypeError from inside a parser, a RangeError from an allocation, a wrong-size
 * result) is a finding. Pure host code: test/fuzz/child.ts runs these in a watched child process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzlibSync, zlibSync } from 'fflate';
import '../../src/preprocess/image-input.node.js';
import { decodeImage } from '../../src/preprocess/decode.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { float32Tensor, isFloat, STORED_BYTES, toFloat32, type HostTensor, type StateDict } from '../../src/io/host-tensor.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { crc32, ZipArchive } from '../../src/io/zip.js';
import { checkFinite } from '../../src/layers/weights.js';
import { tokenRows } from '../../src/api/token-rows.js';
import { SimpleTokenizer } from '../../src/tokenizer/simple-tokenizer.js';
import { numel } from '../../src/runtime/shape.js';
import { rng } from '../helpers/random.js';

export type FuzzClass = 'safetensors' | 'pt' | 'png' | 'jpeg' | 'tokens' | 'text';
export const FUZZ_CLASSES: FuzzClass[] = ['safetensors', 'pt', 'png', 'jpeg', 'tokens', 'text'];

export interface Outcome {
  /** 'result' or 'error' are correct endings; 'finding' is a defect. */
  kind: 'result' | 'error' | 'finding';
  strategy: string;
  detail: string;
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const images = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'images');

// ---------- byte-level mutators ----------

function flipBits(r: Rand, b: Uint8Array, lo = 0, hi = b.length): Uint8Array {
  const out = b.slice();
  for (let k = 1 + int(r, 8); k > 0; k--) out[lo + int(r, hi - lo)] ^= 1 << int(r, 8);
  return out;
}

function overwrite(r: Rand, b: Uint8Array, lo = 0, hi = b.length): Uint8Array {
  const out = b.slice();
  const special = [0, 0xff, 0x7f, 0x80, 0x2d, 0x39, 0x7b, 0x22, 0x5b];
  for (let k = 1 + int(r, 4); k > 0; k--) {
    const at = lo + int(r, hi - lo);
    const len = 1 + int(r, 8);
    for (let i = 0; i < len && at + i < out.length; i++) out[at + i] = r() < 0.5 ? pick(r, special) : int(r, 256);
  }
  return out;
}

const truncate = (r: Rand, b: Uint8Array) => b.slice(0, int(r, b.length));

function spliceBytes(r: Rand, b: Uint8Array): Uint8Array {
  const at = int(r, b.length);
  const del = int(r, 64);
  const ins = Uint8Array.from({ length: int(r, 64) }, () => int(r, 256));
  const out = new Uint8Array(b.length - Math.min(del, b.length - at) + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(Math.min(b.length, at + del)), at + ins.length);
  return out;
}

function bytesMutation(r: Rand, b: Uint8Array): [string, Uint8Array] {
  const s = int(r, 4);
  return s === 0 ? ['flip', flipBits(r, b)] : s === 1 ? ['overwrite', overwrite(r, b)] : s === 2 ? ['truncate', truncate(r, b)] : ['splice', spliceBytes(r, b)];
}

// ---------- invariants of results ----------

function checkStateDict(sd: StateDict, name: string): string | null {
  for (const [k, t] of sd) {
    if (!(t.dtype in STORED_BYTES)) return `${k}: dtype ${t.dtype}`;
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `${k}: shape ${JSON.stringify(t.shape)}`;
    if (t.data.byteLength !== numel(t.shape) * STORED_BYTES[t.dtype]) return `${k}: ${t.data.byteLength} bytes for ${t.dtype} ${JSON.stringify(t.shape)}`;
    if (isFloat(t)) toFloat32(t, k);
  }
  // What loading does next: non-finite weights must be refused by name (or the dict is clean).
  try {
    checkFinite(sd, name);
  } catch (e) {
    if ((e as Error).name !== 'NonFiniteWeightError') throw e;
  }
  return null;
}

// ---------- the classes ----------

const CHECKPOINT_ERRORS = new Set(['SafetensorsError', 'CheckpointError', 'PickleError', 'ZipError']);

function syntheticTensors(r: Rand): StateDict {
  const t = (dtype: HostTensor['dtype'], shape: number[]): HostTensor => ({ dtype, shape, data: Uint8Array.from({ length: numel(shape) * STORED_BYTES[dtype] }, () => int(r, 256) & 0x3f) });
  return new Map<string, HostTensor>([
    ['visual.stem.0.weight', float32Tensor(Float32Array.from({ length: 24 }, () => r() - 0.5), [2, 3, 2, 2])],
    ['visual.stem.0.bias', t('F16', [7])],
    ['text.embedding', t('BF16', [5, 3])],
    ['text.positions', t('I64', [4])],
    ['logit_scale', float32Tensor(Float32Array.of(2.5), [])],
    ['empty', t('F32', [0, 3])],
  ]);
}

/** Safetensors: byte mutations of a small header-heavy file, and JSON-aware header edits. */
function safetensorsCase(r: Rand): { strategy: string; bytes: Uint8Array } {
  const good = writeSafetensors(syntheticTensors(r), { note: 'fuzz' });
  const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
  const s = int(r, 5);
  if (s === 0) return { strategy: 'header bytes', bytes: overwrite(r, good, 8, 8 + headerLen) };
  if (s === 1) {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(pick(r, [0, 1, 7, headerLen - 1, headerLen + 1, 2 ** 31, 2 ** 53, int(r, 1 << 20)])), true);
    return { strategy: 'header length', bytes: b };
  }
  if (s === 2) {
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLen)));
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const e = header[pick(r, names)];
    const odd = [-1, 0, 2.5, 1e20, 2 ** 53, '3', null, [], {}, [1, 2], true];
    const field = pick(r, ['shape', 'dtype', 'data_offsets', 'shape-dim', 'offset']);
    if (field === 'shape') e.shape = pick(r, [odd, [[1]], [2 ** 31, 2 ** 31], [1e9, 1e9, 1e9], []]);
    else if (field === 'dtype') e.dtype = pick(r, ['F8', 'f32', '', 'U64', 'BOOL', 'I8', 7]);
    else if (field === 'data_offsets') e.data_offsets = pick(r, [[0], [5, 1], [-4, 4], [0, 2 ** 60], 'x', [0.5, 4]]);
    else if (field === 'shape-dim' && e.shape.length) e.shape[int(r, e.shape.length)] = pick(r, odd);
    else e.data_offsets = [e.data_offsets[0] + int(r, 9) - 4, e.data_offsets[1] + int(r, 9) - 4];
    const json = new TextEncoder().encode(JSON.stringify(header));
    const body = good.subarray(8 + headerLen);
    const out = new Uint8Array(8 + json.length + body.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(body, 8 + json.length);
    return { strategy: `header field ${field}`, bytes: out };
  }
  const [name, bytes] = bytesMutation(r, good);
  return { strategy: name, bytes };
}

/** A .pt: byte mutations, and mutations of data.pkl (or a storage) with its CRC fixed so they reach the unpickler. */
function ptCase(r: Rand, base: Uint8Array): { strategy: string; bytes: Uint8Array } {
  const s = int(r, 4);
  if (s < 2) {
    const zip = new ZipArchive(base, 'base');
    const names = [...zip.entries.keys()];
    const target = s === 0 ? names.find((n) => n.endsWith('data.pkl'))! : pick(r, names);
    const e = zip.entries.get(target)!;
    const v = new DataView(base.buffer, base.byteOffset);
    const start = e.localHeaderOffset + 30 + v.getUint16(e.localHeaderOffset + 26, true) + v.getUint16(e.localHeaderOffset + 28, true);
    const mutated = int(r, 2) ? flipBits(r, base, start, start + e.size) : overwrite(r, base, start, start + e.size);
    const crc = crc32(mutated.subarray(start, start + e.size));
    const mv = new DataView(mutated.buffer);
    mv.setUint32(e.localHeaderOffset + 14, crc, true);
    const cd = findCentral(mutated, target);
    if (cd >= 0) mv.setUint32(cd + 16, crc, true);
    return { strategy: `${s === 0 ? 'data.pkl' : 'entry'} with CRC fixed`, bytes: mutated };
  }
  const [name, bytes] = bytesMutation(r, base);
  return { strategy: name, bytes };
}

function findCentral(b: Uint8Array, name: string): number {
  const n = new TextEncoder().encode(name);
  const v = new DataView(b.buffer, b.byteOffset);
  for (let p = b.length - 22; p >= 0; p--) {
    if (v.getUint32(p, true) !== 0x02014b50) continue;
    const len = v.getUint16(p + 28, true);
    if (len === n.length && n.every((c, i) => b[p + 46 + i] === c)) return p;
  }
  return -1;
}

function pngChunks(png: Uint8Array): { type: string; start: number; length: number }[] {
  const v = new DataView(png.buffer, png.byteOffset);
  const out = [];
  for (let p = 8; p + 12 <= png.length; ) {
    const length = v.getUint32(p);
    out.push({ type: String.fromCharCode(...png.subarray(p + 4, p + 8)), start: p, length });
    p += 12 + length;
  }
  return out;
}

function fixPngCrcs(png: Uint8Array): Uint8Array {
  const v = new DataView(png.buffer, png.byteOffset);
  for (const c of pngChunks(png)) if (c.start + 12 + c.length <= png.length) v.setUint32(c.start + 8 + c.length, crc32(png.subarray(c.start + 4, c.start + 8 + c.length)));
  return png;
}

/** PNG: raw corruption (caught by CRCs), corruption with CRCs fixed, IHDR edits, and garbage rows recompressed. */
function pngCase(r: Rand, files: string[]): { strategy: string; bytes: Uint8Array } {
  const file = pick(r, files);
  const good = new Uint8Array(readFileSync(join(images, file)));
  const s = int(r, 5);
  if (s === 0) return { strategy: `${file}: CRCs fixed after overwrite`, bytes: fixPngCrcs(overwrite(r, good, 8)) };
  if (s === 1) {
    const b = good.slice();
    const dv = new DataView(b.buffer);
    const f = int(r, 5);
    if (f === 0) dv.setUint32(16, pick(r, [0, 1, 2 ** 31, 2 ** 32 - 1, 40000, int(r, 5000)]));
    else if (f === 1) dv.setUint32(20, pick(r, [0, 1, 2 ** 31, 13001, int(r, 5000)]));
    else b[24 + int(r, 5)] = pick(r, [0, 1, 2, 3, 4, 6, 8, 16, 255]);
    return { strategy: `${file}: IHDR field, CRC fixed`, bytes: fixPngCrcs(b) };
  }
  if (s === 2) {
    const idats = pngChunks(good).filter((c) => c.type === 'IDAT');
    const all = new Uint8Array(idats.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of idats) (all.set(good.subarray(c.start + 8, c.start + 8 + c.length), o), (o += c.length));
    const rows = overwrite(r, unzlibSync(all));
    const z = zlibSync(int(r, 3) ? rows : truncate(r, rows));
    const first = idats[0];
    const last = idats[idats.length - 1];
    const head = good.subarray(0, first.start);
    const tail = good.subarray(last.start + 12 + last.length);
    const chunk = new Uint8Array(12 + z.length);
    new DataView(chunk.buffer).setUint32(0, z.length);
    chunk.set([0x49, 0x44, 0x41, 0x54], 4);
    chunk.set(z, 8);
    const out = new Uint8Array(head.length + chunk.length + tail.length);
    out.set(head);
    out.set(chunk, head.length);
    out.set(tail, head.length + chunk.length);
    return { strategy: `${file}: garbage rows recompressed`, bytes: fixPngCrcs(out) };
  }
  const [name, bytes] = bytesMutation(r, good);
  return { strategy: `${file}: ${name}`, bytes };
}

/** JPEG: byte mutations, plus edits of the frame header's size and segment lengths. */
function jpegCase(r: Rand, files: string[]): { strategy: string; bytes: Uint8Array } {
  const file = pick(r, files);
  const good = new Uint8Array(readFileSync(join(images, file)));
  if (int(r, 3) === 0) {
    const b = good.slice();
    const markers: number[] = [];
    for (let i = 2; i + 4 < b.length; i++) if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xfe && b[i + 1] !== 0xff) markers.push(i);
    const at = pick(r, markers);
    const dv = new DataView(b.buffer);
    const sof = b[at + 1] === 0xc0 || b[at + 1] === 0xc2 || b[at + 1] === 0xc1;
    if (sof && r() < 0.6) {
      dv.setUint16(at + 5 + 2 * int(r, 2), pick(r, [0, 1, 65535, 13000, int(r, 4000)]));
      return { strategy: `${file}: frame size`, bytes: b };
    }
    dv.setUint16(at + 2, pick(r, [0, 1, 2, 65535, dv.getUint16(at + 2) + int(r, 9) - 4]));
    return { strategy: `${file}: segment length`, bytes: b };
  }
  const [name, bytes] = bytesMutation(r, good);
  return { strategy: `${file}: ${name}`, bytes };
}

function randomValue(r: Rand, depth = 0): unknown {
  const s = int(r, 14);
  if (s < 6) return int(r, 50000);
  if (s === 6) return pick(r, [-1, 49408, 2 ** 31, 2 ** 32, 1e10, -0, 0.5, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 2]);
  if (s === 7) return pick(r, ['7', '', 'a']);
  if (s === 8) return pick(r, [null, undefined, true, false]);
  if (s === 9) return BigInt(int(r, 100));
  if (s === 10 && depth < 3) return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
  if (s === 11) return { id: int(r, 10) };
  return int(r, 49408);
}

function tokensCase(r: Rand): unknown {
  const s = int(r, 6);
  if (s === 0) return randomValue(r);
  const rows = int(r, 6);
  return Array.from({ length: rows }, () => (r() < 0.1 ? randomValue(r) : Array.from({ length: r() < 0.2 ? 70 + int(r, 20) : int(r, 12) }, () => randomValue(r))));
}

function textCase(r: Rand): string | string[] {
  const alphabet = ['a', 'z', 'é', '日本', '🙂', ' ', '\n', '\t', "'s", '<|endoftext|>', '&amp;', '\u0000', '\ud800', '0', '.', 'ﬁ', '\u200b'];
  const len = pick(r, [0, 1, 10, 300, 5000, 200_000]);
  const word = r() < 0.3;
  let s = '';
  for (let i = 0; s.length < len; i++) s += word ? pick(r, ['a', 'b', 'q', 'é', 'x']) : pick(r, alphabet);
  return r() < 0.2 ? [s, pick(r, alphabet), ''] : s;
}

export interface FuzzContext {
  ptBase: Uint8Array;
  pngs: string[];
  jpegs: string[];
  tokenizer: SimpleTokenizer | null;
}

export function loadContext(fixtures: string, vocab: string): FuzzContext {
  const all = readdirSync(images);
  let tokenizer: SimpleTokenizer | null = null;
  try {
    tokenizer = SimpleTokenizer.fromGzip(new Uint8Array(readFileSync(vocab)));
  } catch {
    tokenizer = null;
  }
  return {
    ptBase: new Uint8Array(readFileSync(join(fixtures, 'text-mct-tiny', 'model.pt'))),
    pngs: all.filter((f) => f.endsWith('.png')).sort(),
    jpegs: all.filter((f) => f.endsWith('.jpg')).sort(),
    tokenizer,
  };
}

/** Runs one seeded case of `cls`. */
export async function runCase(cls: FuzzClass, seed: number, ctx: FuzzContext): Promise<Outcome> {
  const r = rng(seed * 7919 + FUZZ_CLASSES.indexOf(cls));
  const name = `fuzz-${cls}-${seed}`;
  const named = (strategy: string, e: unknown, allowed: Set<string>, mustName = name): Outcome => {
    const err = e as Error;
    const ok = err instanceof Error && allowed.has(err.name) && err.message.includes(mustName);
    return { kind: ok ? 'error' : 'finding', strategy, detail: `${err?.name}: ${String(err?.message).slice(0, 300)}` };
  };
  if (cls === 'safetensors' || cls === 'pt') {
    const { strategy, bytes } = cls === 'safetensors' ? safetensorsCase(r) : ptCase(r, ctx.ptBase);
    try {
      const bad = checkStateDict(readCheckpoint(bytes, name).stateDict, name);
      return bad ? { kind: 'finding', strategy, detail: `wrong result: ${bad}` } : { kind: 'result', strategy, detail: '' };
    } catch (e) {
      return named(strategy, e, CHECKPOINT_ERRORS);
    }
  }
  if (cls === 'png' || cls === 'jpeg') {
    const { strategy, bytes } = cls === 'png' ? pngCase(r, ctx.pngs) : jpegCase(r, ctx.jpegs);
    try {
      const img = await decodeImage(bytes, name);
      const ok = img.width > 0 && img.height > 0 && img.data.length === img.width * img.height * 3;
      return ok ? { kind: 'result', strategy, detail: `${img.width}×${img.height} ${img.mode}` } : { kind: 'finding', strategy, detail: `wrong result: ${img.data.length} bytes for ${img.width}×${img.height}` };
    } catch (e) {
      return named(strategy, e, new Set(['ImageDecodeError']));
    }
  }
  if (cls === 'tokens') {
    const rows = tokensCase(r);
    try {
      const ids = tokenRows(rows, 77, 49408, name);
      const n = (rows as unknown[]).length;
      const ok = ids.length === n * 77 && ids.every((v) => v >= 0 && v < 49408);
      return ok ? { kind: 'result', strategy: 'rows', detail: `${n} rows` } : { kind: 'finding', strategy: 'rows', detail: 'ids out of range or wrong length' };
    } catch (e) {
      return named('rows', e, new Set(['TokenRowsError']));
    }
  }
  // text: every string tokenizes to 77 in-vocabulary ids per row (or is refused by name)
  const text = textCase(r);
  if (!ctx.tokenizer) return { kind: 'finding', strategy: 'text', detail: 'no tokenizer (vocabulary missing)' };
  try {
    const { ids } = ctx.tokenizer.tokenize(text, 77);
    const rows = Array.isArray(text) ? text.length : 1;
    const ok = ids.length === rows * 77 && ids.every((v) => v >= 0 && v < 49408);
    return ok ? { kind: 'result', strategy: 'text', detail: `${rows} rows` } : { kind: 'finding', strategy: 'text', detail: 'ids out of range or wrong length' };
  } catch (e) {
    return named('text', e, new Set(['TokenizerError']), '');
  }
}
