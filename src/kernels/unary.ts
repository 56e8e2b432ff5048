/**
 * Elementwise activations: exact GELU, ReLU, sigmoid.
 * Cost: memory bound, 8 bytes per element (read + write).
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkShape, floatResult } from '../gpu/shape.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { type KernelSignature, input, output } from '../gpu/kernel.js';
import { gelu64, relu64, sigmoid64 } from './reference-math.js';

const WG = 256;

const signature: KernelSignature = { params: { n: 'u32' }, bindings: { x: input(), y: output() } };

const wgsl = (act: Activation) => /* wgsl */ `
${activationWgsl(act)}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.n) { return; }
  store_y(i, activate(load_x(i)));
}`;

/** y = act(x), elementwise, into a new tensor of x's shape. */
export function unary(x: Tensor, act: Activation): Tensor {
  checkShape(act, 'x', x, x.shape.map(() => null));
  const y = x.gpu.empty(x.shape, floatResult(x), act);
  x.gpu.dispatch({ label: `unary.${act}`, signature, body: wgsl(act), params: { n: x.size }, bindings: { x, y }, workgroups: grid1d(x.size, WG) });
  return y;
}

export const gelu = (x: Tensor) => unary(x, 'gelu');
export const relu = (x: Tensor) => unary(x, 'relu');
export const sigmoid = (x: Tensor) => unary(x, 'sigmoid');

export function activationRef(act: Activation): (x: number) => number {
  return { none: (v: number) => v, gelu: gelu64, relu: relu64, sigmoid: sigmoid64 }[act];
}

export function unaryRef(x: Float32Array, act: Activation): Float32Array {
  const f = activationRef(act);
  return Float32Array.from(x, f);
}
