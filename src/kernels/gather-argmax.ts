/**
 * EOT pooling: for each sequence b, the row of x [B, L, D] at the first position of the largest
 * token id (ids [B, L], i32 on the GPU). One workgroup per sequence. Cost: D·4 bytes per row.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, checkShape, floatResult } from '../gpu/shape.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';

const WG = 64;

const signature: KernelSignature = {
  params: { batch: 'u32', len: 'u32', d: 'u32' },
  bindings: { x: input(), ids: input('i32'), out: output() },
};

const wgsl = () => /* wgsl */ `
var<workgroup> pos: u32;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (lid == 0u) {
    var best = load_ids(b * p.len);
    var at = 0u;
    for (var l = 1u; l < p.len; l++) {
      let v = load_ids(b * p.len + l);
      if (v > best) { best = v; at = l; }  // strict: the first maximum wins
    }
    pos = at;
  }
  workgroupBarrier();
  let row = (b * p.len + pos) * p.d;
  for (var i = lid; i < p.d; i += ${WG}u) { store_out(b * p.d + i, load_x(row + i)); }
}`;

export function gatherArgmax(x: Tensor, ids: Tensor): Tensor {
  const [b, l, d] = checkRank('gatherArgmax', 'x', x, 3);
  checkShape('gatherArgmax', 'ids', ids, [b, l], 'i32');
  const out = x.gpu.empty([b, d], floatResult(x), 'gatherArgmax');
  x.gpu.dispatch({ label: 'gather_argmax', signature, body: wgsl(), params: { batch: b, len: l, d }, bindings: { x, ids, out }, workgroups: [b] });
  return out;
}

export function gatherArgmaxRef(x: Float32Array, ids: Int32Array, [b, l, d]: readonly number[]): Float32Array {
  const out = new Float32Array(b * d);
  for (let i = 0; i < b; i++) {
    let at = 0;
    for (let j = 1; j < l; j++) if (ids[i * l + j] > ids[i * l + at]) at = j;
    out.set(x.subarray((i * l + at) * d, (i * l + at + 1) * d), i * d);
  }
  return out;
}
