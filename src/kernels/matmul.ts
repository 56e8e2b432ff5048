/**
 * Batched GEMM with a fused epilogue:
 *   out[b] = act(A[b] · op(B[b]) + bias) · scale + residual[b]
 * A is [M, K] row-major. B is PyTorch's Linear layout [N, K] (`op` = transpose, "nk") or a
 * projection / activation layout [K, N] ("kn"). A batch stride of 0 broadcasts an operand (a
 * weight shared by every batch). Bias and scale run along N (linear) or along M (1×1 conv, where M
 * is the output channel).
 *
 * Kernels: `gemm-subgroup.ts` where the adapter has a fixed subgroup size (and, for "kn", N % 4
 * == 0), `gemm-blocked.ts` otherwise. Cost: 2·M·N·K flops.
 */
import type { Tensor } from '../gpu/tensor.js';
import type { ConstantValue } from '../gpu/constant-vectors.js';
import { checkRank, checkShape, fmtShape, floatResult } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { type Activation, activationChoice } from './wgsl/math.js';
import { activationRef, unary } from './unary.js';
import { type Along, type BLayout, type Epilogue, type EpilogueVariant, canonicalEpilogue, epilogueKey, epilogueParams, RUNTIME_EPILOGUE } from './gemm-epilogue.js';
import { blockedGemmGrid, blockedGemmKernel } from './gemm-blocked.js';
import { tiledGemmGrid, tiledGemmKernel } from './gemm-tiled.js';
import { SUBGROUP_GEMM_BOUNDS, subgroupGemmFits, subgroupGemmGrid, subgroupGemmKernel, subgroupVectorEpilogue } from './gemm-subgroup.js';

export type { Along, BLayout } from './gemm-epilogue.js';

export interface GemmEpilogue {
  bias?: Tensor;
  /** Bias index: along N (per output feature, default) or along M (per output channel of a 1×1 conv). */
  biasAlong?: Along;
  act?: Activation;
  scale?: Tensor;
  scaleAlong?: Along;
  /** Added last, same shape as the output. */
  residual?: Tensor;
}

export interface GemmSpec extends GemmEpilogue {
  a: Tensor;
  b: Tensor;
  bLayout: BLayout;
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive batches of A and B; 0 broadcasts. */
  strideA: number;
  strideB: number;
  outShape: readonly number[];
  label?: string;
  /**
   * Take the kernel that reads any K (scalar loads along K) even where K % 4 == 0, so products
   * whose K changes call to call (attention's P·V: K is the token count) share one pipeline.
   */
  anyK?: boolean;
}

/** The low-level entry: sizes and strides given explicitly. Prefer `linear`, `matmul`, `conv2d`. */
export function gemm(s: GemmSpec): Tensor {
  const { a, b, M, N, K, batch } = s;
  const op = s.label ?? 'gemm';
  if (M <= 0 || N <= 0 || K <= 0 || batch <= 0) throw new ShapeError(`${op}: empty product M=${M} N=${N} K=${K} batch=${batch}`);
  checkShape(op, 'a', a, a.shape.map(() => null));
  checkShape(op, 'b', b, b.shape.map(() => null));
  const needA = (s.strideA ? (batch - 1) * s.strideA : 0) + M * K;
  const needB = (s.strideB ? (batch - 1) * s.strideB : 0) + N * K;
  if (a.size < needA) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} is too small for ${batch}×[${M}, ${K}]`);
  if (b.size < needB) throw new ShapeError(`${op}: b ${fmtShape(b.shape)} is too small for ${batch}×${s.bLayout === 'nk' ? `[${N}, ${K}]` : `[${K}, ${N}]`}`);
  const biasAlong = s.biasAlong ?? 'n';
  const scaleAlong = s.scaleAlong ?? 'n';
  if (s.bias) checkShape(op, 'bias', s.bias, [biasAlong === 'n' ? N : M]);
  if (s.scale) checkShape(op, 'scale', s.scale, [scaleAlong === 'n' ? N : M]);
  if (s.residual) checkShape(op, 'residual', s.residual, s.outShape);
  const policy = a.gpu.policy;
  const runtime = policy.epilogue === 'runtime';
  const act = s.act ?? 'none';
  const vecA = !s.anyK && K % 4 === 0 && s.strideA % 4 === 0 && (s.bLayout === 'kn' || s.strideB % 4 === 0);
  const vecB = s.bLayout === 'nk' ? vecA : N % 4 === 0 && s.strideB % 4 === 0;
  const vecK = vecA && (s.bLayout === 'kn' || vecB);
  const split = M * N * K * batch <= policy.gemmSplitActivationUpTo || (!vecK && policy.gemmSplitActivationAnyK);
  if (!runtime && activationChoice(act) !== 'gelu?' && !s.scale && !s.residual && floatResult(a, b) === 'f32' && split) {
    // A tiny product (squeeze-excite's FCs) or an any-K one with an activation of its own (ReLU,
    // sigmoid; GELU shares the plain text) runs the kernel without it and an elementwise pass
    // after, rather than compile a GEMM for its activation. f32 only: there the stored product is
    // the value the fused epilogue activates, so no bit changes.
    return a.gpu.scope(() => unary(gemm({ ...s, act: 'none' }), act));
  }
  const asked: Epilogue = { bias: s.bias ? biasAlong : null, scale: s.scale ? scaleAlong : null, residual: !!s.residual, act };
  const out = a.gpu.empty(s.outShape, floatResult(a, b), op);
  const bindings: Record<string, Tensor> = { a, b, out };
  // The run-time epilogue binds all three inputs, a zero vector standing in for absent ones (never
  // read: its flags say so); the specialised one binds the identity operands canonicalEpilogue asks for.
  const c = runtime ? null : canonicalEpilogue(asked, s.bLayout === 'kn' ? 'm' : 'n');
  const epi = c?.variant ?? asked;
  const constant = (value: ConstantValue, along: Along | null) => (along ? a.gpu.constantVector(value, along === 'n' ? N : M, out.dtype) : undefined);
  const bias = s.bias ?? (c ? constant('minus-zero', c.zeroBias) : constant('zero', 'n'));
  const scale = s.scale ?? (c ? constant('one', c.unitScale) : constant('zero', 'n'));
  const residual = s.residual ?? (c ? (c.zeroResidual ? constant('minus-zero', 'n') : undefined) : constant('zero', 'n'));
  for (const [name, t] of [['bias', bias], ['scale', scale], ['residual', residual]] as const) if (t) bindings[name] = t;
  const code = c?.variant ?? RUNTIME_EPILOGUE;
  const params = (v: EpilogueVariant) => ({ M, N, K, strideA: s.strideA, strideB: s.strideB, strideOut: M * N, ...epilogueParams(v, asked, !!c?.zeroResidual) });
  // Labels name the product's own activation; the kernel's text may serve others ('gelu?').
  const epiLabel = epilogueKey({ ...epi, act });
  const flops = 2 * M * N * K * batch;
  if (policy.gemmWorkgroupTiles) {
    a.gpu.dispatch({
      label: `${op}.tiled64.${s.bLayout}${epiLabel}`,
      ...tiledGemmKernel({ ...code, bLayout: s.bLayout }),
      params: params(code),
      bindings,
      workgroups: tiledGemmGrid(M, N, batch),
      flops,
    });
    return out;
  }
  const subgroupSize = policy.gemmSubgroupSize;
  if (subgroupSize && subgroupGemmFits(s.bLayout, N, s.strideB)) {
    const v = { ...code, vector: subgroupVectorEpilogue(s.bLayout, runtime) };
    a.gpu.dispatch({
      label: `${op}.sg${subgroupSize}.${s.bLayout}${vecK ? '' : '.sk'}${epiLabel}`,
      ...subgroupGemmKernel({ ...v, bLayout: s.bLayout, subgroupSize, vecK }),
      params: { ...params(v), ...SUBGROUP_GEMM_BOUNDS },
      bindings,
      workgroups: subgroupGemmGrid(M, N, batch, subgroupSize),
      flops,
    });
    return out;
  }
  a.gpu.dispatch({
    label: `${op}.${s.bLayout}${vecA ? '.va' : ''}${vecB ? '.vb' : ''}${epiLabel}`,
    ...blockedGemmKernel({ ...code, bLayout: s.bLayout, vecA, vecB }),
    params: params(code),
    bindings,
    workgroups: blockedGemmGrid(M, N, batch),
    flops,
  });
  return out;
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
