/**
 * Squeeze-excite on NCHW: s = sigmoid(W₂·ReLU(W₁·mean_{H,W}(x) + b₁) + b₂), y = act(x · s[n, c]).
 * Composed of other ops: the pool, two tiny GEMMs with fused activations, and the per-(n, c)
 * rescale. Weights are 1×1 convs [r, C, 1, 1] and [C, r, 1, 1] (or [r, C], [C, r]).
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import type { Activation } from './activation.js';
import { backendOf } from './backend-check.js';
import { globalAvgPool, globalAvgPoolRef } from './pool.js';
import { linear, gemmRef } from './gemm.js';
import { channelAffine } from './channel-affine.js';

export interface SqueezeExciteWeights {
  reduceWeight: Tensor;
  reduceBias: Tensor;
  expandWeight: Tensor;
  expandBias: Tensor;
}

/** A 1×1 conv weight [o, i, 1, 1] as the [o, i] matrix it is. */
const as2d = (w: Tensor): Tensor => (w.shape.length === 4 ? w.reshape([w.shape[0], w.shape[1]]) : w);

export function squeezeExcite(x: Tensor, w: SqueezeExciteWeights, act: Activation = 'none'): Tensor {
  const backend = backendOf('squeezeExcite', x, w.reduceWeight, w.reduceBias, w.expandWeight, w.expandBias);
  const [n, c, h, wd] = checkRank('squeezeExcite', 'x', x, 4);
  const reduce = as2d(w.reduceWeight);
  const expand = as2d(w.expandWeight);
  if (reduce.shape[1] !== c || expand.shape[0] !== c || expand.shape[1] !== reduce.shape[0]) {
    throw new ShapeError(
      `squeezeExcite: x has ${c} channels but reduce is ${JSON.stringify(w.reduceWeight.shape)} and expand ${JSON.stringify(w.expandWeight.shape)}`,
    );
  }
  return backend.scope(() => {
    // The pooled vector and the hidden layer are freed once the gate is made.
    const gate = backend.scope(() => linear(linear(globalAvgPool(x), reduce, { bias: w.reduceBias, act: 'relu' }), expand, { bias: w.expandBias, act: 'sigmoid' }));
    return channelAffine(x, gate.reshape([n * c]), { inner: h * wd, act });
  });
}

export function squeezeExciteRef(
  x: Float32Array,
  shape: readonly number[],
  w: { reduceWeight: Float32Array; reduceBias: Float32Array; expandWeight: Float32Array; expandBias: Float32Array },
): Float32Array {
  const [n, c, h, wd] = shape;
  const r = w.reduceBias.length;
  const pooled = globalAvgPoolRef(x, shape);
  const hidden = gemmRef({ a: pooled, b: w.reduceWeight, bLayout: 'nk', M: n, N: r, K: c, bias: w.reduceBias, act: 'relu' });
  const gate = gemmRef({ a: hidden, b: w.expandWeight, bLayout: 'nk', M: n, N: c, K: r, bias: w.expandBias, act: 'sigmoid' });
  return Float32Array.from(x, (v, i) => v * gate[Math.floor(i / (h * wd))]);
}
