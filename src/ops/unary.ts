/** y = act(x), elementwise (exact GELU, ReLU, sigmoid). Cost: memory bound, 8 bytes per element. */
import type { Tensor } from '../runtime/tensor.js';
import { checkShape } from '../runtime/shape.js';
import { type Activation, activationRef } from './activation.js';
import { backendOf } from './backend-check.js';

export function unary(x: Tensor, act: Activation): Tensor {
  const backend = backendOf(act, x);
  checkShape(act, 'x', x, x.shape.map(() => null));
  return backend.ops.unary(x, act);
}

export const gelu = (x: Tensor): Tensor => unary(x, 'gelu');
export const relu = (x: Tensor): Tensor => unary(x, 'relu');
export const sigmoid = (x: Tensor): Tensor => unary(x, 'sigmoid');

export function unaryRef(x: Float32Array, act: Activation): Float32Array {
  const f = activationRef(act);
  return Float32Array.from(x, f);
}
