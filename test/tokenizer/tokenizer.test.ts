/** The tokenizer against every case in fixtures/tokenizer: ids must match exactly. */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { loadTokenizer } from '../../src/io/read-file.js';
import type { SimpleTokenizer } from '../../src/tokenizer/simple-tokenizer.js';
import { cleanText, pyCollapseWhitespace, pyLower } from '../../src/tokenizer/clean.js';

interface Case {
  text: string;
  ids: number[];
  length: number;
  tags: string[];
}

const VOCAB = FIXTURES ? resolve(FIXTURES, '../vocab/bpe_simple_vocab_16e6.txt.gz') : '';
const spec = FIXTURES ? JSON.parse(readFileSync(fixturePath('tokenizer', 'tokenizer.json'), 'utf8')) : { cases: [] };

describe.runIf(haveFixtures())('CLIP tokenizer', () => {
  let tok: SimpleTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(VOCAB);
  });

  it('builds the 49408-entry vocabulary with the special ids', () => {
    expect(tok.vocabSize).toBe(spec.vocab_size);
    expect(tok.sotId).toBe(spec.sot_id);
    expect(tok.eotId).toBe(spec.eot_id);
    expect(tok.decoder[0]).toBe('!');
    expect(tok.decoder[188]).toBe('Ā'); // first remapped byte (0x00)
  });

  (spec.cases as Case[]).forEach((c, i) => {
    it(`case ${i}: ${JSON.stringify(c.text).slice(0, 50)} [${c.tags.join(', ')}]`, () => {
      const r = tok.tokenize(c.text, spec.context_length);
      expect(r.lengths[0]).toBe(c.length);
      expect(Array.from(r.ids)).toEqual(c.ids);
    });
  });

  it('tokenizes a batch in one call and round-trips plain text through decode', () => {
    const r = tok.tokenize(['a photo of a dog.', 'two cats'], 77);
    expect(r.shape).toEqual([2, 77]);
    expect(Array.from(r.ids.subarray(0, 9))).toEqual([49406, 320, 1125, 539, 320, 1929, 269, 49407, 0]);
    expect(tok.decode(r.ids.subarray(77, 154))).toBe('two cats');
  });

  it('Python-style lower() and whitespace', () => {
    expect(pyLower('ΟΔΟΣ')).toBe('οδοσ'); // no final-sigma rule, as Python
    // str.split() separators that JS \s lacks (U+0085, U+001C) and one it has that Python lacks (U+FEFF)
    expect(pyCollapseWhitespace(' a\u0085b\u001cc\u2003d\ufeffe ')).toBe('a b c d\ufeffe');
    expect(cleanText('  Tab\tAND\u3000Ideographic  ')).toBe('tab and ideographic');
  });

  it('bad vocabulary files and bad inputs give clear errors', async () => {
    await expect(loadTokenizer('/nonexistent/vocab.txt.gz')).rejects.toThrow(/cannot read the BPE vocabulary .*no such file/);
    await expect(loadTokenizer(fixturePath('ops', 'index.json'))).rejects.toThrow(/not a valid gzip file/);
    expect(() => tok.tokenize('x', 1)).toThrow(/context length must be an integer ≥ 2/);
    expect(() => tok.tokenize([42 as unknown as string])).toThrow(/text 0 is a number/);
    expect(() => tok.decode([49408])).toThrow(/outside the vocabulary/);
  });
});
