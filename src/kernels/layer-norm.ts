/**
 * LayerNorm over the last dim, float32, two-pass (mean, then the biased variance of x − mean, so
 * a large mean offset does not cancel): y = (x − μ)/√(σ² + eps)·w + b. One workgroup per row
 * (row-reduction.ts). The row is shifted by its first element before summing: x − x₀ is exact for
 * nearby values, so a large common offset (0.5 on a 1e-3 spread) costs no precision in x − μ.
 * Cost: ~8 flops and 12 bytes per element.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkShape, checkRank, floatResult } from '../gpu/shape.js';
import { GRID_ROW, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';

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

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const shape = checkRank('layerNorm', 'x', x, [1, 2, 3, 4]);
  const d = shape[shape.length - 1];
  checkShape('layerNorm', 'weight', weight, [d]);
  checkShape('layerNorm', 'bias', bias, [d]);
  const rows = x.size / d;
  const y = x.gpu.empty(shape, floatResult(x), 'layerNorm');
  const r = rowReduction(x.gpu);
  x.gpu.dispatch({
    label: `layer_norm${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(r),
    params: { rows, d, eps }, bindings: { x, w: weight, b: bias, y }, workgroups: grid1d(rows, 1),
  });
  return y;
}

export function layerNormRef(x: Float32Array, d: number, w: Float32Array, b: Float32Array, eps = 1e-5): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
  }
  return y;
}
