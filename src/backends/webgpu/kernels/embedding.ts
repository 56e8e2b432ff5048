/**
 * Embedding lookup with the positional table fused in:
 *   out[b, l, :] = table[ids[b, l], :] (+ positions[l, :])
 * Token ids are checked on the host before upload (an id outside the table is an error, never a
 * silent zero row). A table larger than one storage binding (49408 × 768 f32 is 152 MB; many
 * adapters bind 128 MiB) comes as row blocks: one dispatch per block, each writing the rows whose
 * id falls in it. Cost: memory bound, 8–12 bytes per output element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

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

/**
 * Lookup from ids already on the GPU ([B, L] i32; the caller checked them with checkTokenIds).
 * `positions` [L, D] is added per position. `table` is one [V, D] tensor or its row blocks in order.
 */
export function embeddingGather(blocks: readonly Tensor[], ids: Tensor, positions?: Tensor): Tensor {
  const d = blocks[0].shape[1];
  const vocab = blocks.reduce((n, t) => n + t.shape[0], 0);
  const len = ids.shape[ids.shape.length - 1];
  const is = ids.shape;
  const gpu = gpuOf(blocks[0]);
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

