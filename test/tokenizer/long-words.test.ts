/**
 * BPE over long words: the bucketed merge (src/tokenizer/bpe.ts) against the reference's own
 * quadratic loop (`bpeReference`, on symbol strings) on words long enough that the fast path runs,
 * hostile shapes included (one letter repeated, short periods, random letters, accented and CJK
 * letters); then whole texts against a brute-force tokenization with that loop, and 1 MB of
 * whitespace-free text (time printed; the test's timeout is only a hang guard).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { FIXTURES, haveFixtures } from '../helpers/fixtures.js';
import { loadTokenizer } from '../../src/io/read-file.js';
import { bpeMerge, bpeReference, MergeTable } from '../../src/tokenizer/bpe.js';
import { bytesToUnicode, type SimpleTokenizer } from '../../src/tokenizer/simple-tokenizer.js';
import { cleanText } from '../../src/tokenizer/clean.js';

const VOCAB = FIXTURES ? resolve(FIXTURES, '../vocab/bpe_simple_vocab_16e6.txt.gz') : '';

function lcg(seed: number) {
  let x = seed;
  return () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
}

const ALPHABETS = {
  latin: 'abcdefghijklmnopqrstuvwxyz',
  vowels: 'aeiou',
  accented: 'aáàâäãåçéèêëíìîïñóòôöõúùûüýÿ',
  cjk: '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年',
};

describe('BPE merge order', () => {
  it('a merges file whose ranks break creation order (a merge using "ab" ranked before "ab") still merges as the reference', () => {
    const names = ['x', 'a', 'b', 'ab', 'xab'];
    const table = new MergeTable([
      [1, 2, 3, 5], // a b → ab, rank 5
      [0, 3, 4, 2], // x ab → xab, rank 2: out of order
    ]);
    const word = Array.from({ length: 30 }, () => [0, 1, 2]).flat(); // "xab" × 30: the fast path (> 64 symbols)
    const want = bpeReference(word.map((i) => names[i]), new Map([['a b', 5], ['x ab', 2]]));
    expect(want).toEqual(Array(30).fill('xab'));
    expect(bpeMerge(word, table).map((i) => names[i])).toEqual(want);
    expect(() => new MergeTable([[1, 2, 3, 0], [1, 2, 3, 1]])).toThrow(/given twice/);
  });
});

describe.runIf(haveFixtures())('BPE on long words', () => {
  let tok: SimpleTokenizer;
  const byteMap = bytesToUnicode();
  /** The reference tokenizer of one whitespace-free word of letters, by brute force. */
  const bruteForce = (word: string): number[] => {
    let mapped = '';
    for (const b of new TextEncoder().encode(cleanText(word))) mapped += byteMap[b];
    const chars = [...mapped];
    const symbols = [...chars.slice(0, -1), `${chars.at(-1)}</w>`];
    return bpeReference(symbols, tok.ranks).map((s) => tok.encoder.get(s)!);
  };

  beforeAll(async () => {
    tok = await loadTokenizer(VOCAB);
  });

  const words: [string, string][] = [];
  for (const [name, alphabet] of Object.entries(ALPHABETS)) {
    const rnd = lcg(name.length * 7919);
    for (const n of [65, 200, 1500]) words.push([`random ${name} ×${n}`, Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('')]);
  }
  words.push(['a ×3000', 'a'.repeat(3000)], ['ab ×1500', 'ab'.repeat(1500)], ['abc ×1000', 'abc'.repeat(1000)], ['the ×700', 'the'.repeat(700)]);
  words.push(['aaab ×500', 'aaab'.repeat(500)], ['mississippi ×200', 'mississippi'.repeat(200)]);

  for (const [name, word] of words) {
    it(`${name}: the same ids as the reference loop`, () => {
      const got = tok.encode(word);
      const want = bruteForce(word);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    });
  }

  it('tokenize truncates long input exactly as merging everything would', () => {
    const rnd = lcg(5);
    for (let k = 0; k < 20; k++) {
      const word = Array.from({ length: 100 + Math.floor(rnd() * 2000) }, () => ALPHABETS.latin[Math.floor(rnd() * 26)]).join('');
      // Short words go through the reference loop itself (mergeShort), so their ids are the reference's.
      const content = [...bruteForce(word), ...tok.encode('and more words after it')];
      const row = [tok.sotId, ...content.slice(0, 75), tok.eotId];
      const got = Array.from(tok.tokenize(`${word} and more words after it`).ids);
      expect(got).toEqual([...row, ...Array(77 - row.length).fill(0)]);
    }
  });

  it('1 MB of whitespace-free text tokenizes (time printed)', { timeout: 20_000 }, () => {
    const rnd = lcg(1);
    const text = Array.from({ length: 1 << 20 }, () => ALPHABETS.latin[Math.floor(rnd() * 26)]).join('');
    const t0 = performance.now();
    const r = tok.tokenize(text);
    const ms = performance.now() - t0;
    console.log(`1 MiB whitespace-free text: ${ms.toFixed(0)} ms, ${r.lengths[0]} ids`);
    expect(r.lengths[0]).toBe(77);
    expect(r.ids[0]).toBe(tok.sotId);
    expect(r.ids[76]).toBe(tok.eotId);
  });
});
