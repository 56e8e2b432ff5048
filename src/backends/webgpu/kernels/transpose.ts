/**
 * Batched transpose of the last two dims: [B, R, C] → [B, C, R]. Turns an NCHW map into the token
 * layout [B, H·W, C] attention works on (and back). Cost: memory bound, 8 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 256;

const signature: KernelSignature = { params: { total: 'u32', rows: 'u32', cols: 'u32' }, bindings: { x: input(), y: output() } };

const wgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into y [B, cols, rows]
  if (i >= p.total) { return; }
  let r = i % p.rows;
  let c = (i / p.rows) % p.cols;
  let b = i / (p.rows * p.cols);
  store_y(i, load_x((b * p.rows + r) * p.cols + c));
}`;

/** x [B, R, C] (or [R, C]) → [B, C, R]. */
export function transposeLast2(x: Tensor): Tensor {
  const s = x.shape;
  const [b, r, c] = s.length === 3 ? s : [1, s[0], s[1]];
  const y = gpuOf(x).empty(s.length === 3 ? [b, c, r] : [c, r], floatResult(x), 'transpose');
  gpuOf(x).dispatch({ label: 'transpose_last2', signature, body: wgsl(), params: { total: x.size, rows: r, cols: c }, bindings: { x, y }, workgroups: grid1d(x.size, WG) });
  return y;
}
