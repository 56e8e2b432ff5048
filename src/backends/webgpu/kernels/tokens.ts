/**
 * Token-layout kernels for the ViT:
 *  - patchTokens: NCHW patch map [B, C, h, w] → [B, 1 + h·w, C] with the class token first and the
 *    positional table [h·w, C] added to the patch tokens only (n = y·w + x);
 *  - selectToken: [B, L, C] → [B, C], the row at one position (the class token).
 * Cost: memory bound, ~8 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 256;

const patchSignature: KernelSignature = {
  params: { total: 'u32', n: 'u32', c: 'u32' },
  bindings: { map: input(), pos: input(), cls: input(), out: output() },
};

const patchWgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);  // index into out [B, 1 + n, c]
  if (i >= p.total) { return; }
  let ch = i % p.c;
  let t = (i / p.c) % (p.n + 1u);
  let b = i / (p.c * (p.n + 1u));
  if (t == 0u) { store_out(i, load_cls(ch)); return; }
  store_out(i, load_map((b * p.c + ch) * p.n + t - 1u) + load_pos((t - 1u) * p.c + ch));
}`;

export function patchTokens(map: Tensor, positions: Tensor, cls: Tensor): Tensor {
  const [b, c, h, w] = map.shape;
  const n = h * w;
  const out = gpuOf(map).empty([b, n + 1, c], floatResult(map), 'patchTokens');
  gpuOf(map).dispatch({
    label: 'patch_tokens', signature: patchSignature, body: patchWgsl(),
    params: { total: out.size, n, c }, bindings: { map, pos: positions, cls, out }, workgroups: grid1d(out.size, WG),
  });
  return out;
}

const selectSignature: KernelSignature = { params: { total: 'u32', len: 'u32', c: 'u32', index: 'u32' }, bindings: { x: input(), out: output() } };

const selectWgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.total) { return; }
  let b = i / p.c;
  store_out(i, load_x((b * p.len + p.index) * p.c + i % p.c));
}`;

export function selectToken(x: Tensor, index: number): Tensor {
  const [b, l, c] = x.shape;
  const out = gpuOf(x).empty([b, c], floatResult(x), 'selectToken');
  gpuOf(x).dispatch({
    label: 'select_token', signature: selectSignature, body: selectWgsl(),
    params: { total: b * c, len: l, c, index }, bindings: { x, out }, workgroups: grid1d(b * c, WG),
  });
  return out;
}
