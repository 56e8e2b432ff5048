/**
 * Embedding lookup with the positional table fused in:
 *   out[b, l, :] = table[ids[b, l], :] (+ positions[l, :])
 * Token ids are checked on the host before upload (an id outside the table is an error, never a
 * silent zero row). A table larger than one storage binding (49408 × 768 f32 is 152 MB; many
 * adapters bind 128 MiB) comes as row blocks: one dispatch per block, each writing the rows whose
 * id falls in it. Cost: memory bound, 8–12 bytes per output element.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, checkShape, fmtShape, numel, floatResult } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';

const WG = 256;

const signature = (positions: boolean): KernelSignature => ({
  params: { total: 'u32', d: 'u32', vocab: 'u32', len: 'u32', row0: 'u32', rows: 'u32' },
  bindings: { table: input(), ids: input('i32'), out: output(), ...(positions && { positions: input() }) },
});

const wgsl = (positions: boolean) => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.total) { return; }
  let id = load_ids(i / p.d);
  let c = i % p.d;
  // Ids are validated on the host; NaN makes any that slip through impossible to miss.
  if (id < 0 || u32(id) >= p.vocab) {
    if (p.row0 == 0u) {
      var nan_bits = 0x7fc00000u;  // a var: WGSL rejects NaN in constant expressions
      store_out(i, bitcast<f32>(nan_bits));
    }
    return;
  }
  // Only the rows of this block of the table: [row0, row0 + rows).
  if (u32(id) < p.row0 || u32(id) - p.row0 >= p.rows) { return; }
  store_out(i, load_table((u32(id) - p.row0) * p.d + c)${positions ? ' + load_positions(((i / p.d) % p.len) * p.d + c)' : ''});
}`;

export function checkTokenIds(ids: ArrayLike<number>, vocab: number, what = 'token id'): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new RangeError(`${what} ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
    }
  }
}

/**
 * Lookup from ids already on the GPU ([B, L] i32; the caller checked them with checkTokenIds).
 * `positions` [L, D] is added per position. `table` is one [V, D] tensor or its row blocks in order.
 */
export function embeddingGather(table: Tensor | readonly Tensor[], ids: Tensor, positions?: Tensor): Tensor {
  const blocks = Array.isArray(table) ? table : [table as Tensor];
  if (blocks.length === 0) throw new ShapeError('embedding: no table');
  const d = checkRank('embedding', 'table', blocks[0], 2)[1];
  for (const t of blocks) checkShape('embedding', 'table block', t, [null, d]);
  const vocab = blocks.reduce((n, t) => n + t.shape[0], 0);
  const is = checkRank('embedding', 'ids', ids, [1, 2], 'i32');
  const len = is[is.length - 1];
  if (positions) checkShape('embedding', 'positions', positions, [len, d]);
  const gpu = blocks[0].gpu;
  const out = gpu.empty([...is, d], floatResult(blocks[0]), 'embedding');
  const total = ids.size * d;
  let row0 = 0;
  for (const t of blocks) {
    gpu.dispatch({
      label: `embedding${positions ? '.positions' : ''}`,
      signature: signature(!!positions),
      body: wgsl(!!positions),
      params: { total, d, vocab, len, row0, rows: t.shape[0] },
      bindings: { table: t, ids, out, ...(positions && { positions }) },
      workgroups: grid1d(total, WG),
    });
    row0 += t.shape[0];
  }
  return out;
}

/** Host ids with their shape (e.g. [B, L]) → [...idsShape, D]; ids are validated first. */
export function embedding(table: Tensor, ids: Int32Array, idsShape: readonly number[], positions?: Tensor): Tensor {
  const [vocab] = checkRank('embedding', 'table', table, 2);
  if (numel(idsShape) !== ids.length) throw new ShapeError(`embedding: ${ids.length} ids do not fill shape ${fmtShape(idsShape)}`);
  if (ids.length === 0) throw new ShapeError('embedding: empty batch of token ids');
  checkTokenIds(ids, vocab);
  return table.gpu.scope(() => embeddingGather(table, table.gpu.upload(ids, idsShape, 'i32', 'token_ids'), positions));
}

export function embeddingRef(table: Float32Array, d: number, ids: Int32Array, positions?: Float32Array, len = ids.length): Float32Array {
  const out = new Float32Array(ids.length * d);
  ids.forEach((id, i) => {
    for (let c = 0; c < d; c++) out[i * d + c] = table[id * d + c] + (positions ? positions[(i % len) * d + c] : 0);
  });
  return out;
}
