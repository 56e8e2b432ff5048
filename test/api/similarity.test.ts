/** model.similarity and embeddingMatrix against float64 dot products, on both backends' model (CPU here), odd sizes included. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelAndTransforms, type ModelAndTransforms } from '../../src/api/node.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

describe.runIf(haveFixtures())('similarity', () => {
  let m: ModelAndTransforms;
  beforeAll(async () => {
    m = await createModelAndTransforms(fixturePath('clip-tiny', 'config.json'), { weights: fixturePath('clip-tiny', 'model.safetensors'), vocab: false, device: 'cpu' });
  });
  afterAll(() => m?.dispose());
  const rand = (n: number, seed: number) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);

  it('equals the float64 dot products within float32 accumulation error, for 1, 3 and 70 queries over 1, 7 and 1001 rows', async () => {
    for (const [qn, rn, dim] of [[1, 1, 64], [3, 7, 5], [70, 1001, 64]]) {
      const a = { data: rand(qn * dim, qn + 1), count: qn, dim };
      const b = { data: rand(rn * dim, rn + 7), count: rn, dim };
      const got = await m.model.similarity(a, b);
      expect(got.length).toBe(qn * rn);
      let worst = 0;
      for (let i = 0; i < qn; i++)
        for (let j = 0; j < rn; j++) {
          let ref = 0;
          let mag = 0;
          for (let d = 0; d < dim; d++) {
            ref += a.data[i * dim + d] * b.data[j * dim + d];
            mag += Math.abs(a.data[i * dim + d] * b.data[j * dim + d]);
          }
          // float32 sums of `dim` products: each step rounds by at most 2^-24 of the running magnitude.
          worst = Math.max(worst, Math.abs(got[i * rn + j] - ref) / (mag * dim * 2 ** -24 + 1e-30));
        }
      expect(worst, `${qn}×${rn}×${dim}`).toBeLessThanOrEqual(1);
    }
  });

  it('an embedding matrix answers repeated queries the same as similarity, and refuses a wrong width', async () => {
    const rows = { data: rand(300 * 64, 5), count: 300, dim: 64 };
    const q = { data: rand(2 * 64, 9), count: 2, dim: 64 };
    const held = m.model.embeddingMatrix(rows);
    try {
      const once = await held.scores(q);
      expect(await held.scores(q)).toEqual(once);
      expect(once).toEqual(await m.model.similarity(q, rows));
      await expect(held.scores({ data: new Float32Array(5), count: 1, dim: 5 })).rejects.toThrow(/queries of 5 values, rows of 64/);
    } finally {
      held.dispose();
    }
  });
});
