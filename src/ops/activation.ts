/** The activations the fused epilogues apply, and their float64 references. */
import { gelu64, relu64, sigmoid64 } from './reference-math.js';

import type { Activation } from '../runtime/backend-ops.js';

export { type Activation, ACTIVATIONS } from '../runtime/backend-ops.js';

export function activationRef(act: Activation): (x: number) => number {
  return { none: (v: number) => v, gelu: gelu64, relu: relu64, sigmoid: sigmoid64 }[act];
}
