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
import { gpuOf } from '../tensor-storage.js';
import type { Tensor } from '../../../runtime/tensor.js';
import type { ConstantValue } from '../constant-vectors.js';
import { floatResult } from '../../../runtime/shape.js';
import type { GemmSpec } from '../../../runtime/backend-ops.js';
import { type Activation, activationChoice } from './wgsl/math.js';
import { unary } from './unary.js';
import { type Along, type Epilogue, type EpilogueVariant, canonicalEpilogue, epilogueKey, epilogueParams, RUNTIME_EPILOGUE } from './gemm-epilogue.js';
import { blockedGemmGrid, blockedGemmKernel } from './gemm-blocked.js';
import { tiledGemmGrid, tiledGemmKernel } from './gemm-tiled.js';
import { SUBGROUP_GEMM_BOUNDS, subgroupGemmFits, subgroupGemmGrid, subgroupGemmKernel, subgroupVectorEpilogue } from './gemm-subgroup.js';

/** The WebGPU GEMM: the kernel the policy picks for this product (ops/gemm.ts has checked it). */
export function gemm(s: GemmSpec): Tensor {
  const { a, b, M, N, K, batch } = s;
  const op = s.label ?? 'gemm';
  const biasAlong = s.biasAlong ?? 'n';
  const scaleAlong = s.scaleAlong ?? 'n';
  const policy = gpuOf(a).policy;
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
    return gpuOf(a).scope(() => unary(gemm({ ...s, act: 'none' }), act));
  }
  const asked: Epilogue = { bias: s.bias ? biasAlong : null, scale: s.scale ? scaleAlong : null, residual: !!s.residual, act };
  const out = gpuOf(a).empty(s.outShape, floatResult(a, b), op);
  const bindings: Record<string, Tensor> = { a, b, out };
  // The run-time epilogue binds all three inputs, a zero vector standing in for absent ones (never
  // read: its flags say so); the specialised one binds the identity operands canonicalEpilogue asks for.
  const c = runtime ? null : canonicalEpilogue(asked, s.bLayout === 'kn' ? 'm' : 'n');
  const epi = c?.variant ?? asked;
  const constant = (value: ConstantValue, along: Along | null) => (along ? gpuOf(a).constantVector(value, along === 'n' ? N : M, out.dtype) : undefined);
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
    gpuOf(a).dispatch({
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
    gpuOf(a).dispatch({
      label: `${op}.sg${subgroupSize}.${s.bLayout}${vecK ? '' : '.sk'}${epiLabel}`,
      ...subgroupGemmKernel({ ...v, bLayout: s.bLayout, subgroupSize, vecK }),
      params: { ...params(v), ...SUBGROUP_GEMM_BOUNDS },
      bindings,
      workgroups: subgroupGemmGrid(M, N, batch, subgroupSize),
      flops,
    });
    return out;
  }
  gpuOf(a).dispatch({
    label: `${op}.${s.bLayout}${vecA ? '.va' : ''}${vecB ? '.vb' : ''}${epiLabel}`,
    ...blockedGemmKernel({ ...code, bLayout: s.bLayout, vecA, vecB }),
    params: params(code),
    bindings,
    workgroups: blockedGemmGrid(M, N, batch),
    flops,
  });
  return out;
}
