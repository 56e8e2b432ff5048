/** The library API as users call it: createModelAndTransforms, encode, classify, dispose. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES, haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { createModelAndTransforms } from '../../src/api/node.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { modelSpec } from '../../src/models/model-specs.js';

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
      expect(model.imageSize).toEqual([256, 256]);
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

  it('dispose() frees every weight and recorded forward: create/encode/dispose in a loop does not grow GPU memory', async () => {
    const cfg = fixturePath('clip-tiny', 'config.json');
    const before = g.gpu.stats().memory.liveBytes;
    const live: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
      await m.model.encodeImages([new Uint8Array(readFileSync(fixturePath('preprocess', 'coffee.png')))]);
      const { contextLength, vocabSize } = m.model.spec.text;
      const ids = new Int32Array(contextLength);
      ids.set([vocabSize - 2, 42, vocabSize - 1]);
      await m.model.encodeTokens(ids, 1);
      m.dispose();
      live.push(g.gpu.stats().memory.liveBytes);
    }
    console.log(`live GPU bytes after each create/encode/dispose: ${live.join(', ')} (before: ${before})`);
    expect(live.every((b) => b === before)).toBe(true);
    expect(g.gpu.stats().memory.created).toBeLessThan(1000); // the pool reuses buffers across models
  });

  it('dispose() while calls are in flight: they end with ModelDisposedError, and every byte is freed once they settle', async () => {
    const cfg = fixturePath('clip-tiny', 'config.json');
    const png = new Uint8Array(readFileSync(fixturePath('preprocess', 'coffee.png')));
    const before = g.gpu.stats().memory.liveBytes;
    const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
    const weights = g.gpu.stats().memory.liveBytes - before;
    // 1: disposed before the call's first forward (it is awaiting image decoding).
    const early = m.model.encodeImages([png, png, png], { batchSize: 1 });
    m.dispose();
    await expect(early).rejects.toThrow(/forward: the \S*clip-tiny\S* model was disposed while this call was running/);
    expect(g.gpu.stats().memory.liveBytes).toBe(before);
    await expect(m.model.encodeImages([png])).rejects.toThrow(/encodeImages: the \S*clip-tiny\S* model was disposed$/);

    // 2: disposed between batches (after one forward recorded a plan), with a second call in flight.
    const m2 = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
    const { contextLength, vocabSize } = m2.model.spec.text;
    const ids = new Int32Array(4 * contextLength);
    for (let i = 0; i < 4; i++) ids.set([vocabSize - 2, 42 + i, vocabSize - 1], i * contextLength);
    let planned = 0;
    let text: Promise<unknown> = Promise.resolve();
    // After the first image batch: a text call starts (its first batch is recorded and in flight), then dispose().
    const mid = m2.model.encodeImages([png, png, png], {
      batchSize: 1,
      onProgress: (done) => {
        if (done !== 1) return;
        text = m2.model.encodeTokens(ids, 4, { batchSize: 2 });
        planned = g.gpu.stats().memory.liveBytes;
        m2.dispose();
      },
    });
    await mid.catch(() => undefined);
    const results = await Promise.allSettled([mid, text]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason.name).toBe('ModelDisposedError');
    console.log(`weights ${weights} B; live after the first batch ${planned - before} B; after both calls settled: ${g.gpu.stats().memory.liveBytes - before} B`);
    expect(planned - before).toBeGreaterThan(weights); // a recorded plan's intermediates were live …
    expect(g.gpu.stats().memory.liveBytes).toBe(before); // … and are freed with the weights
  });

  it('recorded forwards replay bit-exactly like eager runs, and replayed token ids are still checked', async () => {
    const cfg = fixturePath('clip-tiny', 'config.json');
    const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
    try {
      const files = ['coffee.png', 'astronaut.png', 'chelsea.png'].map((f) => new Uint8Array(readFileSync(fixturePath('preprocess', f))));
      const ctx = m.model.spec.text.contextLength;
      const ids = new Int32Array(3 * ctx);
      const vocab = m.model.spec.text.vocabSize; // the tiny model's own vocabulary
      for (let i = 0; i < 3; i++) ids.set([vocab - 2, 20 + i, 300, vocab - 1], i * ctx);
      m.model.usePlans = false;
      const eagerImg = await m.model.encodeImages(files, { batchSize: 2 });
      const eagerTxt = await m.model.encodeTokens(ids, 3, { batchSize: 2 });
      const live = g.gpu.stats().memory.liveBytes; // after lazily built tables (positions) exist
      expect(m.model.recordedForwards).toBe(0);
      m.model.usePlans = true;
      for (let run = 0; run < 2; run++) {
        const img = await m.model.encodeImages(files, { batchSize: 2 });
        const txt = await m.model.encodeTokens(ids, 3, { batchSize: 2 });
        expect(Array.from(img.data)).toEqual(Array.from(eagerImg.data));
        expect(Array.from(txt.data)).toEqual(Array.from(eagerTxt.data));
      }
      expect(m.model.recordedForwards).toBe(4); // image × {2, 1}, text × {2, 1}
      const bad = ids.slice();
      bad[ctx + 2] = 1 << 20;
      await expect(m.model.encodeTokens(bad, 3, { batchSize: 2 })).rejects.toThrow(/token id 1048576.*outside/);
      m.model.releasePlans();
      expect(m.model.recordedForwards).toBe(0);
      expect(g.gpu.stats().memory.liveBytes).toBe(live);
    } finally {
      m.dispose();
    }
  });

  it("dtype 'f16' halves the weights' GPU memory and keeps embeddings within cosine 0.999", async (ctx) => {
    if (!g.gpu.features.shaderF16) {
      console.warn(`f16: adapter ${g.gpu.info.description} has no shader-f16; not run`);
      ctx.skip();
    }
    const cfg = fixturePath('clip-tiny', 'config.json');
    const files = ['coffee.png', 'chelsea.png'].map((f) => new Uint8Array(readFileSync(fixturePath('preprocess', f))));
    const run = async (dtype: 'f32' | 'f16') => {
      const before = g.gpu.stats().memory.liveBytes;
      const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu, dtype });
      const weightBytes = g.gpu.stats().memory.liveBytes - before;
      const e = await m.model.encodeImages(files);
      m.dispose();
      return { weightBytes, e };
    };
    const f32 = await run('f32');
    const f16 = await run('f16');
    console.log(`weights on the GPU: f32 ${f32.weightBytes} B, f16 ${f16.weightBytes} B`);
    expect(f16.weightBytes).toBeLessThanOrEqual(0.55 * f32.weightBytes); // half, give or take the pool's rounding
    for (let i = 0; i < 2; i++) {
      const a = f32.e.data.subarray(i * f32.e.dim, (i + 1) * f32.e.dim);
      const b = f16.e.data.subarray(i * f16.e.dim, (i + 1) * f16.e.dim);
      let dot = 0;
      for (let d = 0; d < a.length; d++) dot += a[d] * b[d]; // both L2-normalised
      console.log(`image ${i}: cosine(f16, f32) = ${dot.toFixed(7)}`);
      expect(dot).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('unknown model names are refused with the list of known ones', () => {
    expect(() => modelSpec('mobileclip_xl')).toThrow(/unknown model "mobileclip_xl": choose one of mobileclip_s0, mobileclip_s1, mobileclip_s2, mobileclip_b, mobileclip_blt/);
    expect(modelSpec('B').name).toBe('mobileclip_b');
  });
});
