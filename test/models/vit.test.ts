/** MobileCLIP-B's ViT against the PyTorch fixture (vit-tiny), every intermediate, both checkpoint files. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { randUniform } from '../helpers/random.js';
import { formatParity, runParity } from '../../src/parity/parity.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { WeightStore } from '../../src/layers/weights.js';
import { VisionTransformer } from '../../src/models/vit.js';
import { vitConfigFromJson } from '../../src/models/vit-config.js';

const g = useGpu();

describe.runIf(haveFixtures())('ViT parity with PyTorch', () => {
  for (const file of [undefined, 'model.pt']) {
    it(`vit-tiny from ${file ?? 'model.safetensors'}`, async () => {
      const r = await runParity(g.gpu, fixturePath('vit-tiny'), { checkpoint: file ? fixturePath('vit-tiny', file) : undefined });
      console.log(formatParity(r));
      expect(r.notProduced).toEqual([]);
      for (const t of r.tensors) {
        expect(t.rel, t.name).toBeLessThanOrEqual(1e-4);
        if (t.minCosine !== undefined) expect(1 - t.minCosine).toBeLessThanOrEqual(1e-6);
      }
    });
  }

  it('other input sizes interpolate the positional table; batched equals one by one', async () => {
    const sd = (await readCheckpointFile(fixturePath('vit-tiny', 'model.safetensors'))).stateDict;
    const cfg = vitConfigFromJson(JSON.parse(readFileSync(fixturePath('vit-tiny', 'config.json'), 'utf8')), sd);
    const store = new WeightStore(g.gpu, sd);
    const vit = new VisionTransformer(store, cfg);
    store.finish();
    try {
      const [h, w] = [256, 192]; // 16 × 12 = 192 patches instead of 196
      const x = randUniform(2 * 3 * h * w, 3, 0, 1);
      const both = await vit.forward(g.gpu.upload(x, [2, 3, h, w])).readFloat();
      const second = await vit.forward(g.gpu.upload(x.subarray(3 * h * w), [1, 3, h, w])).readFloat();
      expectClose('ViT image 1 alone vs batched (256×192)', second, both.subarray(64), { rel: 1e-6 });
      expect(() => vit.forward(g.gpu.upload(new Float32Array(3 * 8 * 8), [1, 3, 8, 8]))).toThrow(/smaller than one 16×16 patch/);
    } finally {
      store.dispose();
    }
  });
});
