/**
 * A batch whose activations would pass the adapter's per-binding limit runs in slices: the
 * results equal the whole batch at once, bit for bit (rows never mix). The limit is lowered here
 * so that tiny models need slicing; the real case is S2 at batch 32 (167 MB stem output > 128 MiB).
 */
import { afterEach, describe, expect, it } from 'vitest';
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
import type { Tensor } from '../../src/runtime/tensor.js';

const g = useGpu();
const config = (f: string) => JSON.parse(readFileSync(fixturePath(f, 'config.json'), 'utf8'));

/**
 * Runs `forward` at the real limit and at one that fits `items` per slice; checks both give the
 * same bits and that the second really ran `slices` times as many dispatches.
 */
async function expectSlicedEqual(perItemBytes: number, items: number, slices: number, forward: () => Tensor): Promise<void> {
  const count = async (): Promise<[Float32Array, number]> => {
    const before = g.gpu.stats().dispatches;
    const y = forward();
    const dispatches = g.gpu.stats().dispatches - before;
    return [await y.readFloat(), dispatches];
  };
  const [whole, once] = await count();
  const limit = g.gpu.info.maxStorageBufferBindingSize;
  g.gpu.info.maxStorageBufferBindingSize = items * perItemBytes + 4;
  const [sliced, dispatches] = await count();
  g.gpu.info.maxStorageBufferBindingSize = limit;
  console.log(`${slices} slices: ${dispatches} dispatches (${once} at once), max |Δ| = 0 expected`);
  expect(dispatches).toBe(slices * once);
  expect(Array.from(sliced)).toEqual(Array.from(whole));
}

describe.runIf(haveFixtures())('batches past the binding limit run in slices', () => {
  const limit = { value: 0 };
  afterEach(() => {
    if (limit.value) g.gpu.info.maxStorageBufferBindingSize = limit.value;
  });

  it('MCi, batch 5 in slices of 2', async () => {
    const sd = (await readCheckpointFile(fixturePath('mci-tiny', 'model.safetensors'))).stateDict;
    const store = new WeightStore(g.gpu, sd);
    const mci = new MCi(store, mciConfigFromJson(config('mci-tiny')));
    store.finish();
    limit.value = g.gpu.info.maxStorageBufferBindingSize;
    const x = g.gpu.upload(randUniform(5 * 3 * 64 * 64, 7, 0, 1), [5, 3, 64, 64]);
    // Squeeze-excite's activations run as their own pass only in products up to a size (policy.ts),
    // which batch 5 passes and its slices do not: off here, so every slice records the whole's kernels.
    const forward = () => g.gpu.withPolicy({ gemmSplitActivationUpTo: 0 }, () => mci.forward(x));
    await expectSlicedEqual(4 * mci.largestActivation(64, 64), 2, 3, forward);
    store.dispose();
  });

  it('ViT, batch 3 in slices of 1', async () => {
    const sd = (await readCheckpointFile(fixturePath('vit-tiny', 'model.safetensors'))).stateDict;
    const store = new WeightStore(g.gpu, sd);
    const vit = new VisionTransformer(store, vitConfigFromJson(config('vit-tiny'), sd));
    store.finish();
    limit.value = g.gpu.info.maxStorageBufferBindingSize;
    const x = g.gpu.upload(randUniform(3 * 3 * 224 * 224, 8, 0, 1), [3, 3, 224, 224]);
    await expectSlicedEqual(4 * vit.largestActivation(224, 224), 1, 3, () => vit.forward(x));
    store.dispose();
  });

  it('text tower, batch 4 in slices of 3, and a single item too large is a clear error', async () => {
    const sd = (await readCheckpointFile(fixturePath('clip-tiny', 'model.safetensors'))).stateDict;
    const store = new WeightStore(g.gpu, sd);
    const text = new TextTransformer(store, textConfigFromJson(config('clip-tiny')));
    limit.value = g.gpu.info.maxStorageBufferBindingSize;
    const ids = new Int32Array(4 * 77);
    for (let i = 0; i < 4; i++) ids.set([998, 5 + i, 17, 999], i * 77);
    const t = text.uploadIds(ids, [4, 77]);
    await expectSlicedEqual(4 * text.largestActivation(77), 3, 2, () => text.forwardIds(t));
    g.gpu.info.maxStorageBufferBindingSize = 1000;
    expect(() => text.forwardIds(t)).toThrow(/one item needs a \d+-byte activation, more than this adapter binds \(1000\)/);
    store.dispose();
  });
});
