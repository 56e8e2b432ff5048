/**
 * Softmax along the last dim, numerically stable: exp(x − max) / Σ exp(x − max). −inf entries
 * (masks) give 0. One workgroup per row (row-reduction.ts), or on CPU rasterizers for short rows
 * (attention scores, ≤ 128 keys) one invocation per row: there a workgroup reduction's barriers
 * cost more than the row (S0's 1024 rows of 64: 7 ms → under 1 ms). Cost: ~5 flops and 8 bytes per element (3 reads).
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { GRID_ROW, LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 64;

const signature: KernelSignature = { params: { rows: 'u32', d: 'u32' }, bindings: { x: input(), y: output() } };

// causal: row r is query (r mod d) of a square [d, d] block; keys past it are masked (−inf).
const wgsl = (causal: boolean, r: RowReduction) => /* wgsl */ `
${r.wgsl}
@compute @workgroup_size(${r.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * ${GRID_ROW}u + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.d;
  let end = ${causal ? '(row % p.d) + 1u' : 'p.d'};  // keys that take part
  var m = -3.4028234663852886e38;  // lowest f32; masked (-inf) entries then give exp(-inf) = 0
  for (var i = lid; i < end; i += ${r.wg}u) { m = max(m, load_x(base + i)); }
  m = reduce_max(lid, m);
  var s = 0.0;
  for (var i = lid; i < end; i += ${r.wg}u) { s += exp(load_x(base + i) - m); }
  let inv = 1.0 / reduce_sum(lid, s);
  for (var i = lid; i < p.d; i += ${r.wg}u) { store_y(base + i, select(0.0, exp(load_x(base + i) - m) * inv, i < end)); }
}`;

const wgslRowPerInvocation = (causal: boolean) => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = linear_index(wid, lid, ${WG}u);
  if (row >= p.rows) { return; }
  let base = row * p.d;
  let end = ${causal ? '(row % p.d) + 1u' : 'p.d'};
  var m = -3.4028234663852886e38;
  for (var i = 0u; i < end; i++) { m = max(m, load_x(base + i)); }
  var s = 0.0;
  for (var i = 0u; i < end; i++) { s += exp(load_x(base + i) - m); }
  let inv = 1.0 / s;
  for (var i = 0u; i < p.d; i++) { store_y(base + i, select(0.0, exp(load_x(base + i) - m) * inv, i < end)); }
}`;

/** `causal`: the last two dims are a square [queries, keys] block and keys after the query are masked. */
export function softmax(x: Tensor, opts: { causal: boolean }): Tensor {
  const shape = x.shape;
  const d = shape[shape.length - 1];
  const causal = !!opts.causal;
  const rows = x.size / d;
  const y = gpuOf(x).empty(shape, floatResult(x), 'softmax');
  const label = `softmax${causal ? '.causal' : ''}`;
  if (d <= gpuOf(x).policy.softmaxRowPerInvocationUpTo) {
    gpuOf(x).dispatch({ label: `${label}.rows`, signature, body: wgslRowPerInvocation(causal), params: { rows, d }, bindings: { x, y }, workgroups: grid1d(rows, WG) });
  } else {
    const r = rowReduction(gpuOf(x));
    gpuOf(x).dispatch({ label: `${label}${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(causal, r), params: { rows, d }, bindings: { x, y }, workgroups: grid1d(rows, 1) });
  }
  return y;
}
