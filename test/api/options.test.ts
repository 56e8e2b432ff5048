/**
 * The API's arguments are checked at the door: each out-of-range option is an OptionError naming
 * the option, the range and the value, before any work (no internal ShapeError, no RangeError
 * from a typed array, no silent default). Through the CLI: --top, --labels, --help to a full disk.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { BIN, runCli } from '../helpers/cli.js';
import { createModelAndTransforms } from '../../src/api/node.js';

const g = useGpu();

describe.runIf(haveFixtures())('options checked at the door', () => {
  it('encodeImages, encodeTexts and classify name the bad option and its range', async () => {
    const { model, dispose } = await createModelAndTransforms(fixturePath('clip-tiny', 'config.json'), { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
    const img = fixturePath('preprocess', 'coffee.png');
    try {
      for (const [bs, shown] of [[0, '0'], [-1, '-1'], [Number.NaN, 'NaN'], [1.5, '1.5'], [1e9, '1000000000'], ['8', '"8"']] as const) {
        await expect(model.encodeImages([img], { batchSize: bs as number })).rejects.toThrow(new RegExp(`^encodeImages: batchSize must be an integer from 1 to 4096, got ${shown.replace(/[.]/g, '\\.')}`));
        await expect(model.classify([img], ['a', 'b'], { batchSize: bs as number })).rejects.toThrow(/classify: batchSize must be an integer from 1 to 4096/);
      }
      await expect(model.encodeTexts(['a cat'], { batchSize: 0 })).rejects.toThrow(/encodeTexts: batchSize must be an integer from 1 to 4096, got 0/);
      await expect(model.encodeImages([img], { normalize: 'yes' as unknown as boolean })).rejects.toThrow(/encodeImages: normalize must be true or false, got "yes"/);
      await expect(model.encodeImages([img], { onProgress: 3 as unknown as () => void })).rejects.toThrow(/onProgress must be a function, got 3/);
      await expect(model.classify([img], ['a'], { templates: 'bogus' as 'none' })).rejects.toThrow(/classify: templates must be 'none', 'photo', 'ensemble' or a non-empty list of strings that each contain \{\}, got "bogus"/);
      await expect(model.classify([img], ['a'], { templates: ['a photo'] })).rejects.toThrow(/templates must be/);
      await expect(model.classify([], ['a'])).rejects.toThrow(/classify: images must be a non-empty array, got an empty array/);
      await expect(model.classify([img], [])).rejects.toThrow(/classify: labels must be a non-empty array of strings/);
      await expect(model.classify([img], ['a', ''])).rejects.toThrow(/classify: label 1 must be a non-empty string/);
      await expect(model.classify([img], 'a,b' as unknown as string[])).rejects.toThrow(/classify: labels must be an array of strings, got "a,b"/);
      for (const k of [-1, 0, 1.5, Number.NaN]) await expect(model.classify([img], ['a', 'b'], { topK: k })).rejects.toThrow(/classify: topK must be an integer from 1 to \d+/);
      await expect(model.classify([img], ['a', 'b'], null as unknown as object)).rejects.toThrow(/classify: the options must be an object, got null/);
    } finally {
      dispose();
    }
  });

  it('the CLI: --top takes whole numbers only, --help into a full disk ends in one line, label files are read as files', async () => {
    const common = ['--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors')];
    for (const top of ['0x1', '0', '1.5', '1e2', ' 2', '--top=-1']) {
      const r = await runCli('classify', fixturePath('preprocess', 'coffee.png'), '--labels', 'a,b', ...(top.startsWith('--') ? [top] : ['--top', top]), ...common);
      expect(r.code, top).toBe(2);
      expect(r.err).toMatch(/--top takes a whole number from 1/);
    }
    for (const args of [['--help'], ['classify', '--help'], ['embed', '--help']]) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" ${args.join(' ')} > /dev/full`], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim()).toBe('mobileclip: cannot write to standard output (ENOSPC)');
    }
  });
});
