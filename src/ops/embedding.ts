/**
 * Embedding lookup with the positional table fused in:
 *   out[b, l, :] = table[ids[b, l], :] (+ positions[l, :])
 * Token ids are checked on the host before upload (an id outside the table is an error, never a
 * silent zero row). A table may come as row blocks (one storage binding each on WebGPU: 49408 × 768
 * f32 is 152 MB, and many adapters bind 128 MiB). Cost: memory bound, 8–12 bytes per output element.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape, fmtShape, numel } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { backendOf } from './backend-check.js';

/** Throws a RangeError naming the first id outside [0, vocab). */
export function checkTokenIds(ids: ArrayLike<number>, vocab: number, what = 'token id'): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new RangeError(`${what} ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
    }
  }
}

/** Looks up ids (i32 [B, L] or [L], already checked against the vocabulary) in a table of row blocks. */
export function embeddingGather(table: Tensor | readonly Tensor[], ids: Tensor, positions?: Tensor): Tensor {
  const blocks = Array.isArray(table) ? table : [table as Tensor];
  if (blocks.length === 0) throw new ShapeError('embedding: no table');
  const backend = backendOf('embedding', ...blocks, ids, positions);
  const d = checkRank('embedding', 'table', blocks[0], 2)[1];
  for (const t of blocks) checkShape('embedding', 'table block', t, [null, d]);
  const is = checkRank('embedding', 'ids', ids, [1, 2], 'i32');
  if (positions) checkShape('embedding', 'positions', positions, [is[is.length - 1], d]);
  return backend.ops.embeddingGather(blocks, ids, positions);
}

/** Host ids, checked against the table and uploaded, then looked up. */
export function embedding(table: Tensor, ids: Int32Array, idsShape: readonly number[], positions?: Tensor): Tensor {
  const [vocab] = checkRank('embedding', 'table', table, 2);
  if (numel(idsShape) !== ids.length) throw new ShapeError(`embedding: ${ids.length} ids do not fill shape ${fmtShape(idsShape)}`);
  if (ids.length === 0) throw new ShapeError('embedding: empty batch of token ids');
  checkTokenIds(ids, vocab);
  const backend = table.backend;
  return backend.scope(() => embeddingGather(table, backend.upload(ids, idsShape, 'i32', 'token_ids'), positions));
}

export function embeddingRef(table: Float32Array, d: number, ids: Int32Array, positions?: Float32Array, len = ids.length): Float32Array {
  const out = new Float32Array(ids.length * d);
  ids.forEach((id, i) => {
    for (let c = 0; c < d; c++) out[i * d + c] = table[id * d + c] + (positions ? positions[(i % len) * d + c] : 0);
  });
  return out;
}
