/**
 * MCi against the PyTorch fixtures, every intermediate included, from every checkpoint form:
 * training-form safetensors, the fused model.reparam.safetensors, and torch.save's model.pt.
 * Bound: max|Δ| ≤ 1e-4·max|ref| per tensor (the fixtures' own float32 noise is a few 1e-6);
 * embeddings also need cosine ≥ 1 − 1e-6 per row (0.99999 asked for S0).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { runParity, formatParity } from '../../src/parity/parity.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { WeightStore, WeightLoadError } from '../../src/layers/weights.js';
import { MCi } from '../../src/models/mci.js';
import { MCI_CONFIGS, mciConfigFromJson } from '../../src/models/mci-config.js';
import { float32Tensor, type StateDict } from '../../src/io/host-tensor.js';
import { readFileSync } from 'node:fs';
import { expectClose } from '../helpers/compare.js';
import { randUniform } from '../helpers/random.js';

const g = useGpu();

describe.runIf(haveFixtures())('MCi parity with PyTorch', () => {
  const forms: [string, string, string | undefined][] = [
    ['mci-tiny', 'training-form safetensors', undefined],
    ['mci-tiny', 'fused safetensors', 'model.reparam.safetensors'],
    ['mci-tiny', 'torch.save .pt', 'model.pt'],
    ['s0-full', 'f16 training-form safetensors', undefined],
  ];
  for (const [fixture, form, file] of forms) {
    it(`${fixture} from ${form}: every produced tensor within 1e-4·max|ref|`, async () => {
      const r = await runParity(g.gpu, fixturePath(fixture), { checkpoint: file ? fixturePath(fixture, file) : undefined });
      console.log(formatParity(r));
      const names = r.tensors.map((t) => t.name);
      expect(names).toContain('image_features');
      expect(names).toContain('image.conv_exp');
      if (fixture === 'mci-tiny') expect(r.notProduced).toEqual([]); // every intermediate of the image fixture
      for (const t of r.tensors) {
        expect(t.rel, `${t.name}: rel ${t.rel}`).toBeLessThanOrEqual(1e-4);
        if (t.minCosine !== undefined) expect(1 - t.minCosine, `${t.name} cosine`).toBeLessThanOrEqual(fixture === 's0-full' ? 1e-5 : 1e-6);
      }
      expect(r.ok).toBe(true);
    });
  }
});

describe.runIf(haveFixtures())('MCi loading and shapes', () => {
  let sd: StateDict;
  const cfg = () => mciConfigFromJson(JSON.parse(readFileSync(fixturePath('mci-tiny', 'config.json'), 'utf8')));
  beforeAll(async () => {
    sd = (await readCheckpointFile(fixturePath('mci-tiny', 'model.safetensors'))).stateDict;
  });

  it('reports all missing keys, unexpected keys and shape mismatches in one error', () => {
    const bad: StateDict = new Map(sd);
    bad.delete('image_encoder.model.network.7.0.token_mixer.qkv.weight');
    bad.delete('image_encoder.model.patch_embed.2.rbr_skip.running_var'); // a training branch tensor
    bad.delete('image_encoder.model.network.6.pe.bias');
    bad.set('image_encoder.model.extra.weight', float32Tensor(new Float32Array(2), [2]));
    bad.set('image_encoder.model.head.proj', float32Tensor(new Float32Array(192 * 32), [192, 32]));
    const store = new WeightStore(g.gpu, bad, 'broken.safetensors');
    new MCi(store, cfg());
    let err: WeightLoadError | null = null;
    try {
      store.finish();
    } catch (e) {
      err = e as WeightLoadError;
    } finally {
      store.dispose();
    }
    expect(err).toBeInstanceOf(WeightLoadError);
    console.log(err!.message);
    expect(err!.missing).toEqual([
      'image_encoder.model.patch_embed.2.rbr_skip.running_var',
      'image_encoder.model.network.6.pe.bias',
      'image_encoder.model.network.7.0.token_mixer.qkv.weight',
    ]);
    expect(err!.unexpected).toEqual(['image_encoder.model.extra.weight']);
    expect(err!.mismatched).toEqual(['image_encoder.model.head.proj: checkpoint [192, 32], model expects [192, 64]']);
    expect(err!.message).toMatch(/broken\.safetensors does not fit the model: 3 missing, 1 unexpected, 1 mis-shaped keys\./);
    expect(err!.details).toMatch(/missing keys \(3\):\n {4}image_encoder\.model\.patch_embed\.2\.rbr_skip\.running_var {2}\[12\]/);
  });

  it('a checkpoint for another model is refused with the shapes that differ', () => {
    const store = new WeightStore(g.gpu, sd, 'mci-tiny.safetensors');
    try {
      new MCi(store, { fastvit: MCI_CONFIGS.mci0, embedDim: 512, imageSize: [256, 256] });
      expect(() => store.finish()).toThrow(/patch_embed\.0\.rbr_conv\.0\.conv\.weight: checkpoint \[12, 3, 3, 3\], model expects \[64, 3, 3, 3\]/);
    } finally {
      store.dispose();
    }
  });

  it('runs any batch and non-square sizes; each image gives the same features alone or batched', async () => {
    const store = new WeightStore(g.gpu, sd);
    const model = new MCi(store, cfg());
    store.finish();
    try {
      const [h, w] = [96, 160];
      const imgs = randUniform(3 * 3 * h * w, 7, 0, 1);
      const batch = await model.forward(g.gpu.upload(imgs, [3, 3, h, w])).readFloat();
      expect(batch.length).toBe(3 * 64);
      for (let i = 0; i < 3; i++) {
        const one = await model.forward(g.gpu.upload(imgs.subarray(i * 3 * h * w, (i + 1) * 3 * h * w), [1, 3, h, w])).readFloat();
        expectClose(`image ${i} alone vs in a batch of 3 (${h}×${w})`, one, batch.subarray(i * 64, (i + 1) * 64), { rel: 1e-6 });
      }
      expect(() => model.forward(g.gpu.upload(new Float32Array(3 * 16 * 16), [1, 3, 16, 16]))).toThrow(/smaller than 32×32/);
      expect(() => model.forward(g.gpu.upload(new Float32Array(4 * 64 * 64), [1, 4, 64, 64]))).toThrow(/must have 3 channels/);
    } finally {
      store.dispose();
    }
  });
});

