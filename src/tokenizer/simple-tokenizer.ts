/**
 * The CLIP byte-level BPE tokenizer as MobileCLIP uses it (open_clip SimpleTokenizer, spec §5):
 * vocabulary from `bpe_simple_vocab_16e6.txt.gz` (the user's file), clean → split → byte map →
 * BPE with `</w>` → ids, wrapped in <start_of_text> … <end_of_text>, truncated (EOT kept last)
 * and zero-padded to the context length. Literal special-token text becomes the special id.
 */
import { gunzipSync } from 'fflate';
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
  private readonly ranks = new Map<string, number>();
  private readonly byteMap: string[];
  private readonly cache = new Map<string, string[]>();
  readonly sotId: number;
  readonly eotId: number;

  /** `merges`: the decompressed vocabulary file's text. */
  constructor(merges: string) {
    const lines = merges.split('\n');
    if (lines.length < MERGES_USED + 1) {
      throw new TokenizerError(`the BPE vocabulary has ${lines.length - 1} merge lines, expected at least ${MERGES_USED} (is it bpe_simple_vocab_16e6.txt.gz?)`);
    }
    this.byteMap = bytesToUnicode();
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
    this.sotId = this.encoder.get(SOT)!;
    this.eotId = this.encoder.get(EOT)!;
    this.cache.set(SOT, [SOT]);
    this.cache.set(EOT, [EOT]);
  }

  /** From the gzipped vocabulary file's bytes (works in Node and browsers). */
  static fromGzip(bytes: Uint8Array): SimpleTokenizer {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(gunzipSync(bytes));
    } catch (e) {
      throw new TokenizerError(`the BPE vocabulary is not a valid gzip file of UTF-8 text (${(e as Error).message})`);
    }
    return new SimpleTokenizer(text);
  }

  get vocabSize(): number {
    return this.decoder.length;
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    if (word.length === 1) {
      this.cache.set(token, word);
      return word;
    }
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  /** Content ids of one text (no SOT/EOT, no padding). */
  encode(text: string): number[] {
    const ids: number[] = [];
    const enc = new TextEncoder();
    for (const m of cleanText(text).matchAll(PATTERN)) {
      let mapped = '';
      for (const b of enc.encode(m[0])) mapped += this.byteMap[b];
      for (const sym of this.bpe(mapped)) {
        const id = this.encoder.get(sym);
        if (id === undefined) throw new TokenizerError(`BPE produced "${sym}", which is not in the vocabulary`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** [SOT] + ids + [EOT], truncated to `contextLength` with EOT kept last, zero-padded. */
  tokenize(texts: string | readonly string[], contextLength = 77): TokenizeResult {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Number.isInteger(contextLength) || contextLength < 2) throw new TokenizerError(`context length must be an integer ≥ 2, got ${contextLength}`);
    const ids = new Int32Array(list.length * contextLength);
    const lengths: number[] = [];
    list.forEach((text, i) => {
      if (typeof text !== 'string') throw new TokenizerError(`text ${i} is a ${typeof text}, not a string`);
      let row = [this.sotId, ...this.encode(text), this.eotId];
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
