/**
 * Token ids as users give them (--tokens JSON, encodeTokenRows): integers in the vocabulary and at
 * most the context per row, or an error naming the row, the column and the value as given.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenRows } from '../../src/api/token-rows.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

describe('token rows', () => {
  it('pads short rows with zeros and keeps valid ids exactly', () => {
    const ids = tokenRows([[49406, 320, 49407], [49406, 49407]], 5, 49408);
    expect(Array.from(ids)).toEqual([49406, 320, 49407, 0, 0, 49406, 49407, 0, 0, 0]);
  });

  it('refuses every value that is not an integer id in the vocabulary, naming row, column and value', () => {
    const cases: [unknown, RegExp][] = [
      [[[1, 1.5]], /row 0, column 1: 1\.5 is not an integer token id/],
      [[[1], ['7']], /row 1, column 0: "7" is not an integer token id/],
      [[[null]], /row 0, column 0: null is not an integer token id/],
      [[[true]], /row 0, column 0: true is not an integer token id/],
      [[[[5]]], /row 0, column 0: \[5\] is not an integer token id/],
      [[[4294967296]], /row 0, column 0: token id 4294967296 is outside the vocabulary \[0, 49408\)/],
      [[[1e10]], /token id 10000000000 is outside the vocabulary/],
      [[[-1]], /token id -1 is outside/],
      [[[49408]], /token id 49408 is outside/],
      [[], /no token rows/],
      [[[]], /row 0 is empty/],
      [[[1], 5], /row 1 is 5, not an array of token ids/],
      [{ rows: [] }, /expected an array of token-id rows, got object/],
      [[Array(78).fill(1)], /row 0 has 78 ids, more than the model's context length 77/],
    ];
    for (const [rows, re] of cases) expect(() => tokenRows(rows, 77, 49408, 'ids.json'), String(re)).toThrow(re);
    expect(() => tokenRows([[1.5]], 77, 49408, 'ids.json')).toThrow(/^ids\.json: /);
  });
});

describe.runIf(haveFixtures())('mobileclip embed --tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobileclip-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('bad rows are an error (exit 1) naming the file, row, column and value; [] is not silence', async () => {
    const model = ['--model', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors')];
    for (const [json, re] of [
      ['[[1, 1.5]]', /ids\.json: row 0, column 1: 1\.5 is not an integer token id/],
      ['[[1], [1e10]]', /ids\.json: row 1, column 0: token id 10000000000 is outside the vocabulary \[0, 1000\)/],
      ['[]', /ids\.json: no token rows/],
    ] as const) {
      const file = join(dir, 'ids.json');
      writeFileSync(file, json);
      const r = await runCli('embed', ...model, '--tokens', file);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(re);
      expect(r.out).toBe('');
    }
  });
});
