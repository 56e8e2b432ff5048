/**
 * f32 ↔ f16 storage conversion on the GPU (needs `shader-f16`). f32 → f16 rounds to nearest even
 * and saturates nothing: values past 65504 become ±inf, as in PyTorch. Cost: 6 bytes per element.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { DType } from '../gpu/dtype.js';
import { GpuError } from '../gpu/errors.js';
import { checkShape } from '../gpu/shape.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';

const WG = 256;

// f16 pairs travel as one u32 each side so the kernel needs no 2-byte stores.
const wgsl = (to: DType) => /* wgsl */ `
enable f16;
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<${to === 'f16' ? 'vec2<f32>' : 'vec2<f16>'}>;
@group(0) @binding(2) var<storage, read_write> y: array<${to === 'f16' ? 'vec2<f16>' : 'vec2<f32>'}>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.n) { return; }
  y[i] = ${to === 'f16' ? 'vec2<f16>' : 'vec2<f32>'}(x[i]);
}`;

export function cast(x: Tensor, to: 'f16' | 'f32'): Tensor {
  checkShape('cast', 'x', x, x.shape.map(() => null), ['f32', 'f16']);
  if (x.dtype === to) throw new GpuError(`cast: ${x.label} is already ${to}`);
  if (!x.gpu.features.shaderF16) throw new GpuError('cast: f16 needs the adapter feature shader-f16');
  const y = x.gpu.empty(x.shape, to, `cast.${to}`);
  // An odd count reads one element past the end of x; the buffer pool always rounds up, and the
  // extra lane lands in y's padding.
  const pairs = Math.ceil(x.size / 2);
  x.gpu.dispatch({
    label: `cast.${x.dtype}_to_${to}`,
    code: wgsl(to),
    params: [pairs],
    bindings: [
      { buffer: x.buffer, offset: 0, size: pairs * 2 * (x.dtype === 'f32' ? 4 : 2) },
      { buffer: y.buffer, offset: 0, size: pairs * 2 * (to === 'f32' ? 4 : 2) },
    ],
    workgroups: grid1d(pairs, WG),
  });
  return y;
}
