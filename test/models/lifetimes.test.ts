/**
 * Forwards leave no live tensor beyond their outputs: every model and the CLIP head, eager and
 * with captured intermediates (which the caller owns), and in batch slices. Live bytes are the
 * buffer pool's (`gpu.stats().memory.liveBytes`): weights are loaded first, and each forward runs
 * once before measuring (the first run at a sequence length uploads its positional table, a
 * weight the store owns), so any difference after disposing the outputs is a leaked intermediate.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { randUniform } from '../helpers/random.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { WeightStore } from '../../src/layers/weights.js';
import { MCi } from '../../src/models/mci.js';
import { mciConfigFromJson } from '../../src/models/mci-config.js';
import { VisionTransformer } from '../../src/models/vit.js';
import { vitConfigFromJson } from '../../src/models/vit-config.js';
import { TextTransformer } from '../../src/models/text-transformer.js';
import { textConfigFromJson } from '../../src/models/text-config.js';
import { CLIP } from '../../src/models/clip.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import type { Capture } from '../../src/models/capture.js';
import { modelSpec } from '../../src/models/model-specs.js';
import { loadModel } from '../../src/models/load.js';

const g = useGpu();
const config = (f: string) => JSON.parse(readFileSync(fixturePath(f, 'config.json'), 'utf8'));
const live = () => g.gpu.stats().memory.liveBytes;

/** Runs `forward` (its outputs read, then disposed) and expects the pool's live bytes unchanged. */
async function expectNoLeak(what: string, forward: () => Tensor | Tensor[]): Promise<void> {
  for (const t of [forward()].flat()) t.dispose(); // warm-up: lazily made weights
  const before = live();
  const out = [forward()].flat();
  for (const t of out) await t.read();
  const held = live() - before;
  out.forEach((t) => t.dispose());
  console.log(`${what}: outputs ${held} bytes; after disposing them, ${live() - before} bytes still live`);
  expect(held).toBeGreaterThan(0);
  expect(live()).toBe(before);
}

/**
 * `forward` with a capture keeping every intermediate (each must outlive the forward): its output
 * and the captured tensors, which after disposing leave nothing.
 */
function capturingAll(forward: (capture: Capture) => Tensor): () => Tensor[] {
  return () => {
    const kept: Tensor[] = [];
    const y = forward((_name, t) => (kept.push(t), true));
    expect(kept.length).toBeGreaterThan(2);
    return [y, ...kept];
  };
}

async function store(fixture: string) {
  const sd = (await readCheckpointFile(fixturePath(fixture, 'model.safetensors'))).stateDict;
  return { sd, store: new WeightStore(g.gpu, sd) };
}

describe.runIf(haveFixtures())('forwards free their intermediates', () => {
  it('MCi (mci-tiny): eager, with a capture, and in slices', async () => {
    const { store: s } = await store('mci-tiny');
    const mci = new MCi(s, mciConfigFromJson(config('mci-tiny')));
    s.finish();
    const x = g.gpu.upload(randUniform(3 * 3 * 64 * 64, 1, 0, 1), [3, 3, 64, 64]);
    await expectNoLeak('MCi', () => mci.forward(x));
    await expectNoLeak('MCi with a capture (intermediates are the caller’s)', capturingAll((c) => mci.forward(x, c)));
    const limit = g.gpu.info.maxStorageBufferBindingSize;
    g.gpu.info.maxStorageBufferBindingSize = 4 * mci.largestActivation(64, 64) + 4; // one image per slice
    try {
      await expectNoLeak('MCi in 3 slices', () => mci.forward(x));
    } finally {
      g.gpu.info.maxStorageBufferBindingSize = limit;
    }
    x.dispose();
    s.dispose();
  });

  it('ViT (vit-tiny), eager and with a capture', async () => {
    const { sd, store: s } = await store('vit-tiny');
    const vit = new VisionTransformer(s, vitConfigFromJson(config('vit-tiny'), sd));
    s.finish();
    const x = g.gpu.upload(randUniform(2 * 3 * 224 * 224, 2, 0, 1), [2, 3, 224, 224]);
    await expectNoLeak('ViT', () => vit.forward(x));
    await expectNoLeak('ViT with a capture', capturingAll((c) => vit.forward(x, c)));
    x.dispose();
    s.dispose();
  });

  for (const fixture of ['text-mct-tiny', 'text-causal-tiny']) {
    it(`text tower (${fixture}): host ids, GPU ids, the pooled-row and prefix shortcuts, a capture`, async () => {
      const { store: s } = await store(fixture);
      const text = new TextTransformer(s, textConfigFromJson(config(fixture)));
      s.finish();
      const ctx = text.cfg.contextLength;
      const ids = new Int32Array(2 * ctx);
      ids.set([1, 5, 9, 2], 0);
      ids.set([1, 7, 2], ctx);
      await expectNoLeak('text from host ids', () => text.forward(ids, [2, ctx]));
      const t = text.uploadIds(ids, [2, ctx]);
      await expectNoLeak('text from GPU ids, pooled-row tail', () => text.forwardIds(t, undefined, { pooledTail: true }));
      const head = text.causalHead(ids, 2);
      if (head) {
        const h = text.uploadIds(head.ids, [2, head.length]);
        await expectNoLeak('text on the causal prefix', () => text.forwardIds(h, undefined, { prefix: true }));
        h.dispose();
      }
      await expectNoLeak('text with a capture', capturingAll((c) => text.forwardIds(t, c)));
      t.dispose();
      s.dispose();
    });
  }

  it('CLIP (clip-tiny): normalised embeddings, logits and zero-shot probabilities', async () => {
    const { sd, store: s } = await store('clip-tiny');
    const cfg = config('clip-tiny');
    const mciCfg = mciConfigFromJson(cfg);
    const clip = new CLIP(s, new MCi(s, mciCfg), new TextTransformer(s, textConfigFromJson(cfg)));
    s.finish();
    expect(sd.size).toBeGreaterThan(0);
    const [h, w] = mciCfg.imageSize;
    const x = g.gpu.upload(randUniform(2 * 3 * h * w, 3, 0, 1), [2, 3, h, w]);
    const ids = new Int32Array(3 * 77);
    for (let i = 0; i < 3; i++) ids.set([1, 4 + i, 2], i * 77);
    await expectNoLeak('CLIP encodeImage (normalised)', () => clip.encodeImage(x, { normalize: true }));
    await expectNoLeak('CLIP encodeText (normalised)', () => clip.encodeText(ids, [3, 77], { normalize: true }));
    await expectNoLeak('CLIP encodeImage, features captured', capturingAll((capture) => clip.encodeImage(x, { normalize: true, capture })));
    const img = clip.encodeImage(x, { normalize: true });
    const txt = clip.encodeText(ids, [3, 77], { normalize: true });
    await expectNoLeak('CLIP logits', () => clip.logits(img, txt));
    await expectNoLeak('CLIP zero-shot', () => clip.zeroShot(img, txt));
    [img, txt, x].forEach((t) => t.dispose());
    s.dispose();
  });
});

/**
 * Freed as they go, not only at the end: while a forward runs it holds its input, the current
 * stage's input and output and one layer's temporaries — each at most the model's largest
 * activation — so its peak stays within 3 × that, however deep the model. Kept to the end of the
 * forward instead, S0's stage outputs alone reach 16.4 MB for the image (3.9× its 4.2 MB largest
 * activation) and 4.3 MB for two texts (3.4× their 1.26 MB).
 */
describe('forwards free their intermediates as they go', () => {
  it('S0 (synthetic weights): image b1 and text b2 peak within 3 × their largest activation', async () => {
    const spec = modelSpec('mobileclip_s0');
    const m = loadModel(g.gpu, spec, 'synthetic');
    const [s] = spec.imageSize;
    const peak = async (forward: () => Tensor): Promise<number> => {
      forward().dispose(); // warm-up: lazily made weights
      g.gpu.buffers.resetPeak();
      const before = live();
      const y = forward();
      await y.read();
      const bytes = g.gpu.stats().memory.peakBytes - before;
      y.dispose();
      return bytes;
    };
    const x = g.gpu.upload(new Float32Array(3 * s * s).fill(0.5), [1, 3, s, s]);
    const image = m.image as MCi;
    const imagePeak = await peak(() => image.forward(x));
    const imageLargest = 4 * image.largestActivation(s, s);
    const ids = new Int32Array(2 * 77);
    ids.set([49406, 320, 49407]);
    ids.set([49406, 320, 550, 49407], 77);
    const t = m.text!.uploadIds(ids, [2, 77]);
    const textPeak = await peak(() => m.text!.forwardIds(t));
    const textLargest = 2 * 4 * m.text!.largestActivation(77);
    console.log(`S0 image b1: peak ${imagePeak} bytes = ${(imagePeak / imageLargest).toFixed(2)} × largest activation; text b2: ${textPeak} = ${(textPeak / textLargest).toFixed(2)} ×`);
    expect(imagePeak).toBeGreaterThan(0);
    expect(imagePeak).toBeLessThanOrEqual(3 * imageLargest);
    expect(textPeak).toBeLessThanOrEqual(3 * textLargest);
    [x, t].forEach((v) => v.dispose());
    m.store.dispose();
  });
});
