/**
 * Global average pooling: NCHW [N, C, H, W] → [N, C], the mean over H·W (a tree reduction in f32,
 * one workgroup per (n, c): row-reduction.ts). Cost: 1 flop and 4 bytes per input element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { GRID_ROW, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../kernel.js';

const signature: KernelSignature = { params: { rows: 'u32', len: 'u32' }, bindings: { x: input(), y: output() } };

const wgsl = (r: RowReduction) => /* wgsl */ `
${r.wgsl}
@compute @workgroup_size(${r.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * ${GRID_ROW}u + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  var s = 0.0;
  for (var i = lid; i < p.len; i += ${r.wg}u) { s += load_x(base + i); }
  let total = reduce_sum(lid, s);
  if (lid == 0u) { store_y(row, total / f32(p.len)); }
}`;

export function globalAvgPool(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  const y = gpuOf(x).empty([n, c], floatResult(x), 'globalAvgPool');
  const r = rowReduction(gpuOf(x));
  gpuOf(x).dispatch({ label: `global_avg_pool${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(r), params: { rows: n * c, len: h * w }, bindings: { x, y }, workgroups: grid1d(n * c, 1) });
  return y;
}
