/**
 * Compiling the kernels ahead while the checkpoint loads (`precompile`, src/api/precompile.ts):
 * towers on zero weights record the batch-1 forwards the model records first, so after a load
 * those forwards compile no pipeline; results are bit-identical to a load that compiled nothing
 * ahead; and gpu.precompile itself runs no work beyond one workgroup per pipeline.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { createModelAndTransforms } from '../../src/api/node.js';
import type { PrecompileTowers } from '../../src/api/precompile.js';
import { createGpu } from '../../src/backends/webgpu/node.js';
import { WeightStore } from '../../src/layers/weights.js';
import { MCi } from '../../src/models/mci.js';
import { mciConfigFromJson } from '../../src/models/mci-config.js';
import { unary } from '../../src/ops/index.js';

const g = useGpu();

/** Loads a fixture's model on a fresh GPU (an empty pipeline cache), embeds one image and one prompt. */
async function embedFresh(fixture: string, precompile: PrecompileTowers) {
  const gpu = await createGpu();
  try {
    const m = await createModelAndTransforms(fixturePath(fixture, 'config.json'), { weights: fixturePath(fixture, 'model.safetensors'), gpu, precompile });
    const loaded = gpu.stats().pipelines.compiled;
    const image = await m.model.encodeImages([new Uint8Array(readFileSync(fixturePath('preprocess', 'coffee.png')))]);
    const afterImage = gpu.stats().pipelines.compiled;
    const { contextLength, vocabSize } = m.model.spec.text;
    const ids = new Int32Array(contextLength);
    ids.set([vocabSize - 2, 11, 12, 13, 14, 15, 16, vocabSize - 1]); // 8 tokens, a short prompt
    const text = await m.model.encodeTokens(ids, 1);
    const afterText = gpu.stats().pipelines.compiled;
    m.dispose();
    return { loaded, imageCompiles: afterImage - loaded, textCompiles: afterText - afterImage, image: image.data, text: text.data };
  } finally {
    gpu.destroy();
  }
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.runIf(haveFixtures())('precompile', () => {
  // An MCi + base text CLIP, a ViT with a causal text tower (the shortcut's 8-position forward), MobileCLIP2's MCi3.
  for (const fixture of ['clip-tiny', 'openclip/oc-vit-l14-tiny', 'openclip/oc-mci3-tiny']) {
    it(`${fixture}: after a load with 'both', the first image and text forwards compile nothing, with the bits of a load with 'none'`, async () => {
      const none = await embedFresh(fixture, 'none');
      const both = await embedFresh(fixture, 'both');
      console.log(`${fixture}: pipelines compiled by load / first image / first text: none ${none.loaded} / ${none.imageCompiles} / ${none.textCompiles}, both ${both.loaded} / ${both.imageCompiles} / ${both.textCompiles}`);
      expect(none.imageCompiles).toBeGreaterThan(0);
      expect(none.textCompiles).toBeGreaterThan(0);
      expect(both.imageCompiles).toBe(0);
      expect(both.textCompiles).toBe(0);
      expect(bits(both.image)).toEqual(bits(none.image));
      expect(bits(both.text)).toEqual(bits(none.text));
    });
  }

  it('a named model (S0) compiles ahead before its checkpoint is read: its first image forward compiles nothing', async () => {
    const gpu = await createGpu();
    try {
      const m = await createModelAndTransforms('mobileclip_s0', { weights: fixturePath('s0-full', 'model.safetensors'), gpu });
      const loaded = gpu.stats().pipelines.compiled;
      await m.model.encodeImages([new Uint8Array(readFileSync(fixturePath('preprocess', 'astronaut.png')))]);
      console.log(`S0, default precompile ('image'): ${loaded} pipelines compiled by the load, ${gpu.stats().pipelines.compiled - loaded} by the first image`);
      expect(loaded).toBeGreaterThan(10);
      expect(gpu.stats().pipelines.compiled).toBe(loaded);
      m.dispose();
    } finally {
      gpu.destroy();
    }
  });

  it("'image' and 'text' compile only their tower ahead", async () => {
    const image = await embedFresh('clip-tiny', 'image');
    const text = await embedFresh('clip-tiny', 'text');
    expect(image.imageCompiles).toBe(0);
    expect(text.textCompiles).toBe(0);
    // The other tower's own kernels are left to its first forward.
    expect(image.textCompiles).toBeGreaterThan(0);
    expect(text.imageCompiles).toBeGreaterThan(0);
  });

  it('a zero-weight store uploads nothing: its weights view one zero buffer outside the pool', () => {
    const cfg = mciConfigFromJson(JSON.parse(readFileSync(fixturePath('mci-tiny', 'config.json'), 'utf8')));
    const before = g.gpu.stats().memory;
    const store = WeightStore.zeros(g.gpu);
    new MCi(store, cfg);
    expect(g.gpu.stats().memory.liveBytes).toBe(before.liveBytes);
    store.dispose();
  });
});

describe('gpu.precompile', () => {
  it('dispatches each pipeline once as one workgroup and runs nothing else', async () => {
    const gpu = g.gpu;
    const n = 4096;
    const x = gpu.upload(Float32Array.from({ length: n }, (_, i) => i + 1), [n]);
    const copy = gpu.upload(new Float32Array(n).fill(7), [n]);
    let kept: ReturnType<typeof unary> | null = null;
    const compiledBefore = gpu.stats().pipelines.compiled;
    const dispatched = gpu.precompile(() => {
      kept = gpu.keep(unary(x, 'relu'));
      unary(kept, 'relu'); // the same pipeline again: not dispatched twice
      gpu.copyElements(x, 0, copy, 0, n); // dropped
    });
    expect(dispatched).toBe(1);
    expect(gpu.stats().pipelines.compiled - compiledBefore).toBeLessThanOrEqual(1);
    expect(Array.from(await copy.readFloat())).toEqual(new Array(n).fill(7));
    // Its one workgroup computed the start of the output.
    const y = await kept!.readFloat();
    expect(Array.from(y.subarray(0, 64))).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    [x, copy, kept!].forEach((t) => t.dispose());
  });

  it('refuses reads, captures and nesting inside it, and runs inside no capture', async () => {
    const gpu = g.gpu;
    const x = gpu.upload(new Float32Array(8), [8]);
    let read: Promise<unknown> | null = null;
    gpu.precompile(() => {
      read = x.read();
    });
    await expect(read).rejects.toThrow(/read\(.*\) inside precompile\(\)/);
    expect(() => gpu.precompile(() => gpu.capture(() => unary(x, 'relu')))).toThrow(/capture\(\) inside precompile\(\)/);
    expect(() => gpu.precompile(() => gpu.precompile(() => {}))).toThrow(/precompile\(\) inside precompile\(\)/);
    expect(() => gpu.capture(() => gpu.precompile(() => {}))).toThrow(/precompile\(\) inside capture\(\)/);
    x.dispose();
  });
});
