/**
 * Batched GEMM with a fused epilogue:
 *   out[b] = act(A[b] · op(B[b]) + bias) · scale + residual[b]
 * A is [M, K] row-major. B is PyTorch's Linear layout [N, K] (`op` = transpose, "nk") or a
 * projection / activation layout [K, N] ("kn"). A batch stride of 0 broadcasts an operand (a
 * weight shared by every batch). Bias and scale run along N (linear) or along M (1×1 conv, where M
 * is the output channel). Cost: 2·M·N·K flops per batch.
 */
import type { Tensor } from '../runtime/tensor.js';
import { checkRank, checkShape, fmtShape } from '../runtime/shape.js';
import { ShapeError } from '../runtime/errors.js';
import { activationRef } from './activation.js';
import type { Activation, Along, BLayout, GemmEpilogue, GemmSpec } from '../runtime/backend-ops.js';

export type { Along, BLayout, GemmEpilogue, GemmSpec } from '../runtime/backend-ops.js';
import { backendOf } from './backend-check.js';


/** The low-level entry: sizes and strides given explicitly. Prefer `linear`, `matmul`, `conv2d`. */
export function gemm(s: GemmSpec): Tensor {
  const { a, b, M, N, K, batch } = s;
  const op = s.label ?? 'gemm';
  const backend = backendOf(op, a, b, s.bias, s.scale, s.residual);
  if (M <= 0 || N <= 0 || K <= 0 || batch <= 0) throw new ShapeError(`${op}: empty product M=${M} N=${N} K=${K} batch=${batch}`);
  checkShape(op, 'a', a, a.shape.map(() => null));
  checkShape(op, 'b', b, b.shape.map(() => null));
  const needA = (s.strideA ? (batch - 1) * s.strideA : 0) + M * K;
  const needB = (s.strideB ? (batch - 1) * s.strideB : 0) + N * K;
  if (a.size < needA) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} is too small for ${batch}×[${M}, ${K}]`);
  if (b.size < needB) throw new ShapeError(`${op}: b ${fmtShape(b.shape)} is too small for ${batch}×${s.bLayout === 'nk' ? `[${N}, ${K}]` : `[${K}, ${N}]`}`);
  if (s.bias) checkShape(op, 'bias', s.bias, [(s.biasAlong ?? 'n') === 'n' ? N : M]);
  if (s.scale) checkShape(op, 'scale', s.scale, [(s.scaleAlong ?? 'n') === 'n' ? N : M]);
  if (s.residual) checkShape(op, 'residual', s.residual, s.outShape);
  return backend.ops.gemm(s);
}

/**
 * x · Wᵀ (+ bias, act, scale, residual) with W in PyTorch's Linear layout [out, in].
 * x is [..., in]; every leading dim folds into M, so the weight is read once per tile.
 */
export function linear(x: Tensor, weight: Tensor, epilogue: GemmEpilogue = {}): Tensor {
  const [N, K] = checkRank('linear', 'weight', weight, 2);
  const xs = checkRank('linear', 'x', x, [1, 2, 3, 4]);
  if (xs[xs.length - 1] !== K) throw new ShapeError(`linear: x ${fmtShape(xs)} has ${xs[xs.length - 1]} features, weight ${fmtShape(weight.shape)} takes ${K}`);
  const M = x.size / K;
  return gemm({ a: x, b: weight, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [...xs.slice(0, -1), N], label: 'linear', ...epilogue });
}

/**
 * a · b for a [..., M, K] and b [K, N] (shared) or [..., K, N] (batched like a); the projection
 * matrices `proj` / `projection_layer` are this [in, out] layout.
 */
export function matmul(a: Tensor, b: Tensor, epilogue: GemmEpilogue = {}): Tensor {
  const as = checkRank('matmul', 'a', a, [2, 3, 4]);
  const bs = checkRank('matmul', 'b', b, [2, 3, 4]);
  const [M, K] = as.slice(-2);
  const [Kb, N] = bs.slice(-2);
  if (K !== Kb) throw new ShapeError(`matmul: a ${fmtShape(as)} and b ${fmtShape(bs)} have inner sizes ${K} and ${Kb}`);
  const batch = a.size / (M * K);
  const bBatch = b.size / (K * N);
  if (bBatch !== 1 && bBatch !== batch) throw new ShapeError(`matmul: b ${fmtShape(bs)} is neither shared nor batched like a ${fmtShape(as)}`);
  return gemm({
    a, b, bLayout: 'kn', M, N, K, batch,
    strideA: M * K, strideB: bBatch === 1 ? 0 : K * N,
    outShape: [...as.slice(0, -1), N], label: 'matmul', ...epilogue,
  });
}

export interface GemmRefSpec {
  a: Float32Array;
  b: Float32Array;
  bLayout: BLayout;
  M: number;
  N: number;
  K: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  bias?: Float32Array;
  biasAlong?: Along;
  act?: Activation;
  scale?: Float32Array;
  scaleAlong?: Along;
  residual?: Float32Array;
}

/** The plain reference: float64 accumulation. */
export function gemmRef(s: GemmRefSpec): Float32Array {
  const batch = s.batch ?? 1;
  const { M, N, K } = s;
  const f = activationRef(s.act ?? 'none');
  const out = new Float32Array(batch * M * N);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * (s.strideA ?? 0);
    const bo = bt * (s.strideB ?? 0);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const bv = s.bLayout === 'nk' ? s.b[bo + n * K + k] : s.b[bo + k * N + n];
          acc += s.a[ao + m * K + k] * bv;
        }
        if (s.bias) acc += s.bias[(s.biasAlong ?? 'n') === 'n' ? n : m];
        acc = f(acc);
        if (s.scale) acc *= s.scale[(s.scaleAlong ?? 'n') === 'n' ? n : m];
        const o = bt * M * N + m * N + n;
        if (s.residual) acc += s.residual[o];
        out[o] = acc;
      }
    }
  }
  return out;
}
