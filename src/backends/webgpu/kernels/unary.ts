/**
 * Elementwise activations: exact GELU, ReLU, sigmoid.
 * Cost: memory bound, 8 bytes per element (read + write).
 */
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { floatResult } from '../../../runtime/shape.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../kernel.js';

const WG = 64;
/** Elements per invocation: an invocation's fixed cost (index, bounds) is lavapipe's bottleneck here. */
const PER = 4;

const signature: KernelSignature = { params: { n: 'u32' }, bindings: { x: input(), y: output() } };

const wgsl = (act: Activation) => /* wgsl */ `
${activationWgsl(act)}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u) * ${PER}u;
  let end = min(i + ${PER}u, p.n);
  for (var k = i; k < end; k++) { store_y(k, activate(load_x(k))); }
}`;

/** y = act(x), elementwise, into a new tensor of x's shape. */
export function unary(x: Tensor, act: Activation): Tensor {
  const y = gpuOf(x).empty(x.shape, floatResult(x), act);
  gpuOf(x).dispatch({ label: `unary.${act}`, signature, body: wgsl(act), params: { n: x.size }, bindings: { x, y }, workgroups: grid1d(Math.ceil(x.size / PER), WG) });
  return y;
}

