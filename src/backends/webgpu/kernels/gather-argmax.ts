/**
 * EOT pooling: for each sequence b, the row of x [B, L, D] at the first position of the largest
 * token id (ids [B, L], i32 on the GPU). One workgroup per sequence. Cost: D·4 bytes per row.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { type KernelSignature, input, output } from '../kernel.js';

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
  const [b, l, d] = x.shape;
  const out = gpuOf(x).empty([b, d], floatResult(x), 'gatherArgmax');
  gpuOf(x).dispatch({ label: 'gather_argmax', signature, body: wgsl(), params: { batch: b, len: l, d }, bindings: { x, ids, out }, workgroups: [b] });
  return out;
}
