/**
 * The CLIP byte-level BPE tokenizer as MobileCLIP uses it (open_clip SimpleTokenizer, spec §5):
 * vocabulary from `bpe_simple_vocab_16e6.txt.gz` (the user's file), clean → split → byte map →
 * BPE with `</w>` → ids, wrapped in <start_of_text> … <end_of_text>, truncated (EOT kept last)
 * and zero-padded to the context length. Literal special-token text becomes the special id.
 */
import { gunzipBounded } from '../io/gzip.js';
import { SIZE_LIMITS } from '../io/size-limits.js';
import { bpeMerge, MergeTable } from './bpe.js';
import { cleanText } from './clean.js';

export const SOT = '<start_of_text>';
export const EOT = '<end_of_text>';
const MERGES_USED = 49152 - 256 - 2;

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/** GPT-2's reversible byte → unicode map: printable bytes map to themselves, the rest to U+0100+n. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  // Returned in the vocabulary's order (bs order), as (byte → char) pairs.
  const map = new Array<string>(256);
  bs.forEach((b, i) => (map[b] = String.fromCodePoint(cs[i])));
  (map as unknown as { order: number[] }).order = bs;
  return map;
}

const PATTERN = /<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}]+/giu;

export interface TokenizeResult {
  /** [texts × contextLength] ids. */
  ids: Int32Array;
  shape: [number, number];
  /** Ids before padding, per text (after truncation). */
  lengths: number[];
}

export class SimpleTokenizer {
  readonly encoder = new Map<string, number>();
  readonly decoder: string[] = [];
  /** "first second" → merge rank, as the vocabulary file lists the merges. */
  readonly ranks = new Map<string, number>();
  private readonly merges: MergeTable;
  private readonly byteMap: string[];
  private readonly byteUnits: Uint16Array;
  /** Vocabulary id of each single byte symbol, by its UTF-16 unit. */
  private readonly unitIds = new Int32Array(0x144).fill(-1);
  /** Merged ids of words seen before; short words only, and bounded, so hostile text cannot grow it. */
  private readonly cache = new Map<string, number[]>();
  readonly sotId: number;
  readonly eotId: number;

  /** `merges`: the decompressed vocabulary file's text. */
  constructor(merges: string) {
    const lines = merges.split('\n');
    if (lines.length < MERGES_USED + 1) {
      throw new TokenizerError(`the BPE vocabulary has ${lines.length - 1} merge lines, expected at least ${MERGES_USED} (is it bpe_simple_vocab_16e6.txt.gz?)`);
    }
    this.byteMap = bytesToUnicode();
    this.byteUnits = Uint16Array.from(this.byteMap, (c) => c.charCodeAt(0));
    const order = (this.byteMap as unknown as { order: number[] }).order;
    const vocab = order.map((b) => this.byteMap[b]);
    vocab.push(...vocab.map((v) => `${v}</w>`));
    lines.slice(1, MERGES_USED + 1).forEach((line, rank) => {
      const parts = line.split(/\s+/).filter(Boolean);
      if (parts.length !== 2) throw new TokenizerError(`BPE vocabulary line ${rank + 2} is not a merge of two symbols: ${JSON.stringify(line)}`);
      this.ranks.set(`${parts[0]} ${parts[1]}`, rank);
      vocab.push(parts[0] + parts[1]);
    });
    vocab.push(SOT, EOT);
    vocab.forEach((v, i) => {
      this.encoder.set(v, i);
      this.decoder.push(v);
    });
    for (const u of this.byteUnits) this.unitIds[u] = this.encoder.get(String.fromCharCode(u))!;
    this.sotId = this.encoder.get(SOT)!;
    this.eotId = this.encoder.get(EOT)!;
    // From `ranks`, where a pair listed twice keeps its last rank, as the reference's dict does.
    this.merges = new MergeTable(
      [...this.ranks].map(([pair, rank]) => {
        const [a, b] = pair.split(' ');
        return [this.encoder.get(a)!, this.encoder.get(b)!, this.encoder.get(a + b)!, rank] as const;
      }),
    );
  }

  /** From the gzipped vocabulary file's bytes (works in Node and browsers). */
  static fromGzip(bytes: Uint8Array): SimpleTokenizer {
    let inflated: Uint8Array;
    try {
      inflated = gunzipBounded(bytes, SIZE_LIMITS.vocabulary, 'vocabulary');
    } catch (e) {
      throw new TokenizerError(`the BPE vocabulary ${(e as Error).message}`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
    } catch {
      throw new TokenizerError('the BPE vocabulary is not a valid gzip file of UTF-8 text (it inflates to bytes that are not UTF-8)');
    }
    return new SimpleTokenizer(text);
  }

  get vocabSize(): number {
    return this.decoder.length;
  }

  /** UTF-8 bytes → the byte-level alphabet (one UTF-16 unit per byte: U+0021…U+0143). */
  private mapBytes(bytes: Uint8Array): string {
    const units = new Uint16Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) units[i] = this.byteUnits[bytes[i]];
    let s = '';
    for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
    return s;
  }

  /** BPE ids of one byte-mapped token (`</w>` on its last symbol). */
  private bpe(token: string): number[] {
    if (token === SOT) return [this.sotId];
    if (token === EOT) return [this.eotId];
    const hit = this.cache.get(token);
    if (hit) return hit;
    // One UTF-16 unit per symbol (see mapBytes); the last carries </w>.
    const n = token.length;
    const symbols = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = token[i];
      const id = i === n - 1 ? this.encoder.get(`${c}</w>`) : this.unitIds[token.charCodeAt(i)];
      if (id === undefined || id < 0) throw new TokenizerError(`BPE symbol ${JSON.stringify(c)} is not in the vocabulary`);
      symbols[i] = id;
    }
    const ids = bpeMerge(symbols, this.merges);
    if (n <= 64) {
      if (this.cache.size >= 65536) this.cache.clear();
      this.cache.set(token, ids);
    }
    return ids;
  }

  /**
   * Content ids of one text (no SOT/EOT, no padding); with `limit`, the first `limit` of them:
   * words past it are not merged at all (a word's ids never depend on the words after it).
   */
  encode(text: string, limit = Infinity): number[] {
    const ids: number[] = [];
    const enc = new TextEncoder();
    for (const m of cleanText(text).matchAll(PATTERN)) {
      if (ids.length >= limit) break;
      for (const id of this.bpe(this.mapBytes(enc.encode(m[0])))) ids.push(id);
    }
    return ids.length > limit ? ids.slice(0, limit) : ids;
  }

  /** [SOT] + ids + [EOT], truncated to `contextLength` with EOT kept last, zero-padded. */
  tokenize(texts: string | readonly string[], contextLength = 77): TokenizeResult {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Number.isInteger(contextLength) || contextLength < 2) throw new TokenizerError(`context length must be an integer ≥ 2, got ${contextLength}`);
    const ids = new Int32Array(list.length * contextLength);
    const lengths: number[] = [];
    list.forEach((text, i) => {
      if (typeof text !== 'string') throw new TokenizerError(`text ${i} is a ${typeof text}, not a string`);
      // One content id past what fits tells truncation apart from an exact fit.
      let row = [this.sotId, ...this.encode(text, contextLength - 1), this.eotId];
      if (row.length > contextLength) {
        row = row.slice(0, contextLength);
        row[contextLength - 1] = this.eotId;
      }
      ids.set(row, i * contextLength);
      lengths.push(row.length);
    });
    return { ids, shape: [list.length, contextLength], lengths };
  }

  /** Text of a row of ids; stops at the first <end_of_text> (padding follows it). */
  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    const inverse = new Map(this.byteMap.map((c, b) => [c, b]));
    for (let i = 0; i < ids.length; i++) {
      const sym = this.decoder[ids[i]];
      if (sym === undefined) throw new TokenizerError(`token id ${ids[i]} is outside the vocabulary [0, ${this.vocabSize})`);
      if (sym === EOT) break;
      if (sym === SOT) continue;
      for (const ch of sym.replace(/<\/w>$/, ' ')) {
        const b = inverse.get(ch);
        if (b === undefined) bytes.push(0x20);
        else bytes.push(b);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }
}
