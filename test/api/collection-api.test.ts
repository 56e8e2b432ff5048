/** The index from the library: openIndex → update (a folder, a broken file) → search by image and text → update again. */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModelAndTransforms, openIndex } from '../../src/index.node.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-index-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveFixtures())('openIndex', () => {
  it('updates from a folder (skips said), searches by image (itself first) and text (every image ranked), and finds nothing new the second time', async () => {
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    for (const f of ['astronaut.png', 'chelsea.png', 'coffee.png', 'photo_q90.jpg']) copyFileSync(fixturePath('preprocess', f), join(photos, f));
    writeFileSync(join(photos, 'cut.png'), readFileSync(fixturePath('preprocess', 'coffee.png')).subarray(0, 200));
    await writeFullVocabClipTiny(dir);
    const m = await createModelAndTransforms(join(dir, 'config.json'), { weights: join(dir, 'model.safetensors'), vocab: resolve(fixturePath(), '../vocab/bpe_simple_vocab_16e6.txt.gz'), device: 'cpu' });
    const index = await openIndex(join(dir, 'db'), m.model);
    try {
      expect(index.size).toBe(0);
      expect(await index.search('a cat')).toEqual([]);
      const skips: string[] = [];
      const progress: number[] = [];
      const s = await index.update([photos], { onSkip: (p) => skips.push(p), onProgress: (done) => progress.push(done) });
      expect(s).toMatchObject({ added: 4, updated: 0, removed: 0, skipped: 1 });
      expect(skips).toEqual([join(photos, 'cut.png')]);
      expect(progress.at(-1)).toBe(5);
      expect(index.size).toBe(4);
      const hits = await index.search({ image: join(photos, 'chelsea.png') }, { k: 2 });
      expect(hits[0].path).toBe(join(photos, 'chelsea.png'));
      expect(hits[0].score).toBeGreaterThan(0.999);
      expect(hits).toHaveLength(2);
      const byText = await index.search('a cat', { k: 10 });
      expect(byText.map((h) => h.path).sort()).toEqual(['astronaut.png', 'chelsea.png', 'coffee.png', 'photo_q90.jpg'].map((f) => join(photos, f)));
      for (let i = 1; i < byText.length; i++) expect(byText[i].score).toBeLessThanOrEqual(byText[i - 1].score);
      expect(await index.search('a cat', { threshold: 2 })).toEqual([]);
      expect(await index.update([photos])).toMatchObject({ added: 0, unchanged: 4, skipped: 1 });
    } finally {
      await index.close();
      m.dispose();
    }
  });
});
