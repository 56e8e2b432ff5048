/**
 * Compiling a model's kernels while its checkpoint is still being read. Towers of the spec's
 * shapes built on zero weights (WeightStore.zeros: one shared zero buffer, nothing uploaded)
 * record the batch-1 forwards the model will record first (forwards.ts), and gpu.precompile
 * has the driver compile each of their pipelines meanwhile. On a driver that compiles at first
 * dispatch on its own thread (lavapipe) that compile overlaps the reading, parsing and upload on
 * the CPU; the first real forward then finds its kernels compiled. The queue runs in order, so
 * a tower compiled ahead that is not used first delays the one that is: hence the choice.
 */
import type { Gpu } from '../backends/webgpu/gpu.js';
import type { StorageDType } from '../runtime/dtype.js';
import { WeightStore } from '../layers/weights.js';
import { CLIP } from '../models/clip.js';
import { buildTowers } from '../models/towers.js';
import { imageForward, textForward } from './forwards.js';
import type { ModelSpec } from '../models/model-specs.js';

/** Which towers' kernels to compile ahead, in this order. */
export const PRECOMPILE_TOWERS = ['image', 'text', 'both', 'none'] as const;
export type PrecompileTowers = (typeof PRECOMPILE_TOWERS)[number];

/** Compiles the kernels of the spec's first batch-1 forwards ahead; returns the pipelines dispatched. */
export function precompileModel(gpu: Gpu, spec: ModelSpec, towers: PrecompileTowers, dtype: StorageDType = 'f32'): number {
  if (towers === 'none') return 0;
  const [withImage, withText] = [towers !== 'text', towers !== 'image'];
  const store = WeightStore.zeros(gpu, dtype);
  try {
    // Only the towers compiled ahead are built (the text tower's table alone is 25M zeros).
    const { image, text } = buildTowers(store, { ...spec, image: withImage ? spec.image : null, text: withText ? spec.text : null });
    const clip = new CLIP(store, image, text);
    return gpu.precompile(() =>
      gpu.scope(() => {
        if (withImage) {
          const [h, w] = spec.imageSize;
          const f = imageForward(gpu, clip, new Float32Array(3 * h * w), 1, spec.imageSize, true);
          f.run(f.upload());
        }
        if (withText) {
          const f = textForward(gpu, clip, typicalPrompt(spec.text.contextLength, spec.text.vocabSize), 1, true, true);
          f.run(f.upload());
        }
      }),
    );
  } finally {
    store.dispose();
  }
}

/**
 * A row of token ids shaped like a short prompt ("a photo of a dog.": start, six words, end of
 * text at position 7), which a causal tower's shortcut runs as its first 8 positions.
 */
function typicalPrompt(contextLength: number, vocabSize: number): Int32Array {
  const row = new Int32Array(contextLength);
  row.set([vocabSize - 2, 1, 2, 3, 4, 5, 6, vocabSize - 1].slice(0, contextLength));
  return row;
}
