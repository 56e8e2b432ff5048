/** The library API as users call it: createModelAndTransforms, encode, classify, dispose. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES, haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { createModelAndTransforms } from '../../src/api/node.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { modelSpec } from '../../src/api/model-specs.js';
import '../../src/preprocess/jpeg-wasm.node.js';

const g = useGpu();
const VOCAB = FIXTURES ? resolve(FIXTURES, '../vocab/bpe_simple_vocab_16e6.txt.gz') : '';

describe.runIf(haveFixtures())('library API', () => {
  it('createModelAndTransforms + encodeImages/encodeTexts on S0 reproduce the reference embeddings', async () => {
    const { model, preprocess, tokenizer, dispose } = await createModelAndTransforms('mobileclip_s0', {
      weights: fixturePath('s0-full', 'model.safetensors'),
      vocab: VOCAB,
      gpu: g.gpu,
    });
    try {
      expect(model.imageSize).toBe(256);
      const ref = await readSafetensors(fixturePath('s0-full', 'outputs.safetensors'));
      const inputs = await readSafetensors(fixturePath('s0-full', 'inputs.safetensors'));
      const x = await preprocess(fixturePath('preprocess', 'astronaut.png'));
      expect(Array.from(x)).toEqual(Array.from(inputs.float32('image').subarray(0, x.length)));
      const files = ['astronaut.png', 'chelsea.png'].map((f) => new Uint8Array(readFileSync(fixturePath('preprocess', f))));
      const img = await model.encodeImages(files, { batchSize: 1 });
      expectClose('API image embeddings (batch size 1)', img.data, ref.float32('image_embeddings'), { rel: 1e-4 });
      const captions = JSON.parse(readFileSync(fixturePath('s0-full', 'config.json'), 'utf8')).fixture.text_input.captions as string[];
      expect(Array.from(tokenizer!.tokenize(captions).ids)).toEqual(Array.from(inputs.int32('text')));
      const txt = await model.encodeTexts(captions);
      expectClose('API text embeddings', txt.data, ref.float32('text_embeddings'), { rel: 1e-4 });
      const preds = await model.classify(files, ['astronaut', 'cat'], { templates: 'ensemble', topK: 1 });
      expect(preds).toHaveLength(2);
      expect(preds[0]).toHaveLength(1);
      expect(preds[0][0].probability).toBeGreaterThan(0.5);
    } finally {
      dispose();
    }
  });

  it('dispose() frees every weight: creating and disposing models in a loop does not grow GPU memory', async () => {
    const cfg = fixturePath('clip-tiny', 'config.json');
    const before = g.gpu.stats().memory.liveBytes;
    const live: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
      await m.model.encodeImages([new Uint8Array(readFileSync(fixturePath('preprocess', 'coffee.png')))]);
      m.dispose();
      live.push(g.gpu.stats().memory.liveBytes);
    }
    console.log(`live GPU bytes after each create/encode/dispose: ${live.join(', ')} (before: ${before})`);
    expect(live.every((b) => b === before)).toBe(true);
    expect(g.gpu.stats().memory.created).toBeLessThan(1000); // the pool reuses buffers across models
  });

  it('unknown model names are refused with the list of known ones', () => {
    expect(() => modelSpec('mobileclip_xl')).toThrow(/unknown model "mobileclip_xl": choose one of mobileclip_s0, mobileclip_s1, mobileclip_s2, mobileclip_b, mobileclip_blt/);
    expect(modelSpec('B').name).toBe('mobileclip_b');
  });
});
