/**
 * Elementwise activations: exact GELU, ReLU, sigmoid.
 * Cost: memory bound, 8 bytes per element (read + write).
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkShape, floatResult } from '../gpu/shape.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { LINEAR_INDEX_WGSL, grid1d } from './wgsl/grid.js';
import { gelu64, relu64, sigmoid64 } from './reference-math.js';

const WG = 256;

const wgsl = (act: Activation) => /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${activationWgsl(act)}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, lid, ${WG}u);
  if (i >= p.n) { return; }
  y[i] = activate(x[i]);
}`;

/** y = act(x), elementwise, into a new tensor of x's shape. */
export function unary(x: Tensor, act: Activation): Tensor {
  checkShape(act, 'x', x, x.shape.map(() => null));
  const y = x.gpu.empty(x.shape, floatResult(x), act);
  x.gpu.dispatch({ label: `unary.${act}`, code: wgsl(act), params: [x.size], bindings: [x, y], workgroups: grid1d(x.size, WG) });
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
