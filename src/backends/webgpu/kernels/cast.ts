/**
 * f32 ↔ f16 storage conversion on the GPU (needs `shader-f16`). f32 → f16 rounds to nearest even
 * and saturates nothing: values past 65504 become ±inf, as in PyTorch. Cost: 6 bytes per element.
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 256;

// f16 values travel in pairs (4 bytes) so the kernel needs no 2-byte stores; the accessors convert.
const signature: KernelSignature = { params: { n: 'u32' }, bindings: { x: input('vec2<f32>'), y: output('vec2<f32>') } };

const wgsl = () => /* wgsl */ `
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.n) { return; }
  store_y(i, load_x(i));
}`;

export function cast(x: Tensor, to: 'f16' | 'f32'): Tensor {
  const y = gpuOf(x).empty(x.shape, to, `cast.${to}`);
  // An odd count reads one element past the end of x; the buffer pool always rounds up, and the
  // extra lane lands in y's padding.
  const pairs = Math.ceil(x.size / 2);
  gpuOf(x).dispatch({
    label: `cast.${x.dtype}_to_${to}`,
    signature,
    body: wgsl(),
    params: { n: pairs },
    bindings: {
      x: { tensor: x, bytes: pairs * 2 * (x.dtype === 'f32' ? 4 : 2) },
      y: { tensor: y, bytes: pairs * 2 * (to === 'f32' ? 4 : 2) },
    },
    workgroups: grid1d(pairs, WG),
  });
  return y;
}
