/**
 * Softmax along the last dim, numerically stable: exp(x − max) / Σ exp(x − max). −inf entries
 * (masks) give 0. One workgroup per row (row-reduction.ts), or on CPU rasterizers for short rows
 * (attention scores, ≤ 128 keys) one invocation per row: there a workgroup reduction's barriers
 * cost more than the row (S0's 1024 rows of 64: 7 ms → under 1 ms). Cost: ~5 flops and 8 bytes per element (3 reads).
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, floatResult } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { GRID_ROW, LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type RowReduction, rowReduction } from './wgsl/row-reduction.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';

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
export function softmax(x: Tensor, opts: { causal?: boolean } = {}): Tensor {
  const shape = checkRank('softmax', 'x', x, [1, 2, 3, 4]);
  const d = shape[shape.length - 1];
  const causal = !!opts.causal;
  if (causal && (shape.length < 2 || shape[shape.length - 2] !== d)) throw new ShapeError(`softmax: causal masking needs square [.., n, n] rows, got ${JSON.stringify(shape)}`);
  const rows = x.size / d;
  const y = x.gpu.empty(shape, floatResult(x), 'softmax');
  const label = `softmax${causal ? '.causal' : ''}`;
  if (d <= x.gpu.policy.softmaxRowPerInvocationUpTo) {
    x.gpu.dispatch({ label: `${label}.rows`, signature, body: wgslRowPerInvocation(causal), params: { rows, d }, bindings: { x, y }, workgroups: grid1d(rows, WG) });
  } else {
    const r = rowReduction(x.gpu);
    x.gpu.dispatch({ label: `${label}${r.label}`, signature: { ...signature, enable: r.enable }, body: wgsl(causal, r), params: { rows, d }, bindings: { x, y }, workgroups: grid1d(rows, 1) });
  }
  return y;
}

export function softmaxRef(x: Float32Array, d: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = -Infinity;
    for (let i = 0; i < d; i++) m = Math.max(m, x[r * d + i]);
    let s = 0;
    for (let i = 0; i < d; i++) s += Math.exp(x[r * d + i] - m);
    for (let i = 0; i < d; i++) y[r * d + i] = Math.exp(x[r * d + i] - m) / s;
  }
  return y;
}
