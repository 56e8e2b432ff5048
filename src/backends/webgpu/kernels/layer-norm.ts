/**
 * LayerNorm over the last dim, float32, two-pass (mean, then the biased variance of x − mean, so
 * a large mean offset does not cancel): y = (x − μ)/√(σ² + eps)·w + b. One workgroup per row
 * (row-reduction.ts). The row is shifted by its first element before summing: x − x₀ is exact for
 * nearby values, so a large common offset (0.5 on a 1e-3 spread) costs no precision in x − μ.
 * Cost: ~8 flops and 12 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { GRID_ROW, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../kernel.js';

const signature: KernelSignature = {
  params: { rows: 'u32', d: 'u32', eps: 'f32' },
  bindings: { x: input(), w: input(), b: input(), y: output() },
};

const wgsl = (r: RowReduction) => /* wgsl */ `
${r.wgsl}
@compute @workgroup_size(${r.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * ${GRID_ROW}u + wid.x;
  if (row >= p.rows) { return; }  // uniform per workgroup, so barriers stay uniform
  let base = row * p.d;
  let shift = load_x(base);
  var s = 0.0;
  for (var i = lid; i < p.d; i += ${r.wg}u) { s += load_x(base + i) - shift; }
  let mean = reduce_sum(lid, s) / f32(p.d);  // mean of the shifted row
  var q = 0.0;
  for (var i = lid; i < p.d; i += ${r.wg}u) { let t = (load_x(base + i) - shift) - mean; q += t * t; }
  let inv = 1.0 / sqrt(reduce_sum(lid, q) / f32(p.d) + p.eps);
  for (var i = lid; i < p.d; i += ${r.wg}u) { store_y(base + i, ((load_x(base + i) - shift) - mean) * inv * load_w(i) + load_b(i)); }
}`;

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const shape = x.shape;
  const d = shape[shape.length - 1];
  const rows = x.size / d;
  const y = gpuOf(x).empty(shape, floatResult(x), 'layerNorm');
  const r = rowReduction(gpuOf(x));
  gpuOf(x).dispatch({
    label: `layer_norm${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(r),
    params: { rows, d, eps }, bindings: { x, w: weight, b: bias, y }, workgroups: grid1d(rows, 1),
  });
  return y;
}
