/**
 * Row L2 normalisation as F.normalize: y = x / max(‖x‖₂, 1e-12); an all-zero row stays zero, and
 * a row with a NaN becomes all NaN, as in PyTorch.
 * One workgroup per row (row-reduction.ts). Cost: 3 flops and 8 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { GRID_ROW, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../kernel.js';

const signature: KernelSignature = { params: { rows: 'u32', d: 'u32', eps: 'f32' }, bindings: { x: input(), y: output() } };

const wgsl = (r: RowReduction) => /* wgsl */ `
${r.wgsl}
@compute @workgroup_size(${r.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * ${GRID_ROW}u + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.d;
  var s = 0.0;
  for (var i = lid; i < p.d; i += ${r.wg}u) { let v = load_x(base + i); s += v * v; }
  // F.normalize divides by max(‖x‖, eps); a NaN norm must stay NaN (WGSL's max may return eps),
  // tested on its bits so no compiler can assume it away.
  let n = sqrt(reduce_sum(lid, s));
  let isNan = (bitcast<u32>(n) & 0x7fffffffu) > 0x7f800000u;
  let norm = select(max(n, p.eps), n, isNan);
  for (var i = lid; i < p.d; i += ${r.wg}u) { store_y(base + i, load_x(base + i) / norm); }
}`;

export function l2Normalize(x: Tensor, eps: number): Tensor {
  const shape = x.shape;
  const d = shape[shape.length - 1];
  const rows = x.size / d;
  const y = gpuOf(x).empty(shape, floatResult(x), 'l2Normalize');
  const r = rowReduction(gpuOf(x));
  gpuOf(x).dispatch({ label: `l2_normalize${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(r), params: { rows, d, eps }, bindings: { x, y }, workgroups: grid1d(rows, 1) });
  return y;
}
