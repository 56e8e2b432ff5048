/** A tiny model whose texts tokenize with the real CLIP vocabulary (for tests of text inputs). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32Tensor } from '../../src/io/host-tensor.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { fixturePath } from './fixtures.js';

/** clip-tiny with the real 49408-token vocabulary (its own 1000 rows, then small deterministic ones), so the demo's typed labels tokenize. */
export async function writeFullVocabClipTiny(dir: string): Promise<void> {
  const st = await readSafetensors(fixturePath('clip-tiny', 'model.safetensors'));
  const sd = st.toStateDict();
  const key = [...sd.keys()].find((k) => k.endsWith('embedding_layer.weight'))!;
  const old = st.float32(key);
  const [rows, dim] = st.info(key).shape;
  const grown = new Float32Array(49408 * dim);
  grown.set(old);
  for (let i = rows * dim; i < grown.length; i++) grown[i] = old[i % (rows * dim)] * (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5);
  sd.set(key, float32Tensor(grown, [49408, dim]));
  const config = JSON.parse(readFileSync(fixturePath('clip-tiny', 'config.json'), 'utf8'));
  config.text_cfg.vocab_size = 49408;
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(sd));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}
