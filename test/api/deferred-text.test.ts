/**
 * On the CPU backend the text tower is built at its first use (its keys checked at load): an
 * image-only run never stores the text weights, the text embeddings are bit-identical to an eager
 * load's, and a checkpoint whose text keys do not fit still fails at load, naming them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelAndTransforms } from '../../src/api/node.js';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { toInt32 } from '../../src/io/host-tensor.js';
import { readCheckpointFile, readSafetensors } from '../../src/io/read-file.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { WeightLoadError } from '../../src/layers/weights.js';
import { loadModel } from '../../src/models/load.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-deferred-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveFixtures())('the text tower on the CPU, built at its first use', () => {
  const config = () => fixturePath('clip-tiny', 'config.json');
  const weights = () => fixturePath('clip-tiny', 'model.safetensors');

  it('is not stored by an image-only run; its embeddings match an eager load bit for bit', async () => {
    const { model, dispose } = await createModelAndTransforms(config(), { weights: weights(), vocab: false, device: 'cpu' });
    try {
      const cpu = model.backend as CpuBackend;
      const afterLoad = cpu.memory.liveBytes;
      const inputs = await readSafetensors(fixturePath('clip-tiny', 'inputs.safetensors'));
      await model.encodeImageInputs(inputs.float32('image'), 2);
      expect(cpu.memory.liveBytes, 'an image forward stores no text weight').toBe(afterLoad);
      const ids = toInt32(inputs.get('text'), 'text');
      const lazy = await model.encodeTokens(ids, 3);
      // The token table alone is 1000 × 64 floats.
      expect(cpu.memory.liveBytes - afterLoad).toBeGreaterThanOrEqual(1000 * 64 * 4);

      const eagerCpu = new CpuBackend();
      const eager = loadModel(eagerCpu, model.spec, (await readCheckpointFile(weights())).stateDict, { source: 'eager' });
      const e = eagerCpu.scope(() => eager.clip!.encodeText(ids, [3, 77], { normalize: true }));
      const want = (await eagerCpu.read(e)) as Float32Array;
      expect(lazy.count).toBe(3);
      expect(Array.from(lazy.data)).toEqual(Array.from(want));
      eager.store.dispose();
      eagerCpu.destroy();
    } finally {
      dispose();
    }
  });

  it('a text key missing or mis-shaped is still a load error naming it', async () => {
    const sd = (await readCheckpointFile(weights())).stateDict;
    const broken = new Map(sd);
    broken.delete('text_encoder.final_layer_norm.bias');
    const table = sd.get('text_encoder.embedding_layer.weight')!;
    broken.set('text_encoder.embedding_layer.weight', { ...table, shape: [64, 1000] });
    const file = join(dir, 'broken.safetensors');
    writeFileSync(file, writeSafetensors(broken));
    const err = await createModelAndTransforms(config(), { weights: file, vocab: false, device: 'cpu' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WeightLoadError);
    const w = err as WeightLoadError;
    expect(w.missing).toEqual(['text_encoder.final_layer_norm.bias']);
    expect(w.mismatched).toEqual(['text_encoder.embedding_layer.weight: checkpoint [64, 1000], model expects [1000, 64]']);
  });
});
