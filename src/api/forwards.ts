/**
 * One batch's forward as the model records it: the plan's key, the host input and how it becomes
 * the plan's input tensor, and the work. MobileCLIP runs these; precompile.ts records the same
 * ones on zero weights, so the kernels it compiles ahead are the ones the first calls record.
 */
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import type { CLIP } from '../models/clip.js';
import type { ImageSize } from '../preprocess/image-size.js';

export interface ForwardCall {
  /** Names the recorded plan: one per tower, batch size and what else changes the work. */
  key: string;
  data: Float32Array | Int32Array;
  /** The input tensor, holding `data`. */
  upload: () => Tensor;
  run: (input: Tensor) => Tensor;
}

/** `count` preprocessed images ([count, 3, H, W] in `batch`) → their embeddings. */
export function imageForward(gpu: Backend, clip: CLIP, batch: Float32Array, count: number, size: ImageSize, normalize: boolean): ForwardCall {
  return {
    key: `image:${count}:${normalize}`,
    data: batch,
    upload: () => gpu.upload(batch, [count, 3, size[0], size[1]], 'f32', 'images'),
    run: (x) => clip.encodeImage(x, { normalize }),
  };
}

/**
 * `n` rows of token ids (checked, at the context length) → their embeddings. With the exact
 * shortcuts a causal tower takes only the positions up to the batch's last end of text.
 */
export function textForward(gpu: Backend, clip: CLIP, rows: Int32Array, n: number, normalize: boolean, exactShortcuts: boolean): ForwardCall {
  const ctx = clip.text!.cfg.contextLength;
  const head = exactShortcuts ? clip.text!.causalHead(rows, n) : null;
  if (head) {
    const { ids, length: p } = head;
    return {
      key: `text:${n}:${p}:${normalize}`,
      data: ids,
      upload: () => gpu.upload(ids, [n, p], 'i32', 'token_ids'),
      run: (t) => clip.encodeTextIds(t, { normalize, prefix: true, pooledTail: true }),
    };
  }
  return {
    key: `text:${n}:${normalize}:${exactShortcuts}`,
    data: rows,
    upload: () => clip.uploadTokens(rows, [n, ctx]),
    run: (t) => clip.encodeTextIds(t, { normalize, pooledTail: exactShortcuts }),
  };
}
