/**
 * EOT pooling: for each sequence b, the row of x [B, L, D] at the first position of the largest
 * token id (ids [B, L], i32 on the GPU). One workgroup per sequence. Cost: D·4 bytes per row.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, checkShape, floatResult } from '../gpu/shape.js';

const WG = 64;

const wgsl = () => /* wgsl */ `
struct Params { batch: u32, len: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> pos: u32;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (lid == 0u) {
    var best = ids[b * p.len];
    var at = 0u;
    for (var l = 1u; l < p.len; l++) {
      let v = ids[b * p.len + l];
      if (v > best) { best = v; at = l; }  // strict: the first maximum wins
    }
    pos = at;
  }
  workgroupBarrier();
  let row = (b * p.len + pos) * p.d;
  for (var i = lid; i < p.d; i += ${WG}u) { out[b * p.d + i] = x[row + i]; }
}`;

export function gatherArgmax(x: Tensor, ids: Tensor): Tensor {
  const [b, l, d] = checkRank('gatherArgmax', 'x', x, 3);
  checkShape('gatherArgmax', 'ids', ids, [b, l], 'i32');
  const out = x.gpu.empty([b, d], floatResult(x), 'gatherArgmax');
  x.gpu.dispatch({ label: 'gather_argmax', code: wgsl(), params: [b, l, d], bindings: [x, ids, out], workgroups: [b] });
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
