/**
 * Which kernel variant runs where: one KernelPolicy, built from the adapter's facts (`gpu.info`)
 * and the caller's switches (`gpu.tuning`), decides every choice (GEMM flavour and epilogue, the
 * conv paths, the softmax form, the attention path) with every threshold here, so the kernels
 * only ask it. `gpu.policy` is the one in force; `gpu.withPolicy` forces one (tests run each path
 * so); `describePolicy` prints it (benchmarks, `mobileclip bench`).
 */
import { GpuError } from '../../runtime/errors.js';
import type { GpuInfo } from './info.js';

/** Kernel choices a caller may turn off (tests run both paths; benchmarks compare them). */
export interface GpuTuning {
  /** Use the workgroup-tiled GEMM on hardware adapters that allow its workgroup (default true). */
  tiledGemm: boolean;
  /** Use the subgroup GEMM where `info.subgroupSize` is known (default true). */
  subgroupGemm: boolean;
  /** Dense non-1×1 convs as im2col + GEMM where the tiled or subgroup GEMM runs (default true). */
  im2colConv: boolean;
  /** Depthwise convs at strides 1 and 2 through the subgroup tile kernel where it fits (default true). */
  depthwiseTiles: boolean;
  /** Softmax of short rows (≤ 128) one row per invocation on software adapters (default true). */
  rowPerInvocationSoftmax: boolean;
  /** Row reductions (LayerNorm, L2 norm, pooling, softmax) by one subgroup where `info.subgroupSize` is known (default true). */
  subgroupReductions: boolean;
  /**
   * One GEMM kernel per operand layout whatever its epilogue (bias, scale, residual and every
   * activation chosen by uniform flags) instead of the canonical ones (canonicalEpilogue: one per
   * layout for GELU or none, one per other activation): the same arithmetic bit for bit. Default
   * false: it was no faster to compile than the specialised kernels already (S0's first image and
   * text: 3 run-time kernels in 2.47 s against 7 specialised ones in 2.45 s, lavapipe, empty shader
   * cache, one run each), its scalar epilogue is the slow one, and its flags cost warm time on
   * every forward. For models whose products need more variants.
   */
  runtimeEpilogue: boolean;
  /**
   * How a read waits for the GPU: 'paced' polls Dawn about once a millisecond (default on software
   * adapters, whose work runs on the CPU cores a spinning wait would take; see paced-wait.ts),
   * 'spin' lets the binding poll continuously (default on GPUs: the lowest latency).
   */
  readbackWait: 'paced' | 'spin';
}

export function defaultTuning(info: GpuInfo): GpuTuning {
  return { tiledGemm: true, subgroupGemm: true, im2colConv: true, depthwiseTiles: true, rowPerInvocationSoftmax: true, subgroupReductions: true, runtimeEpilogue: false, readbackWait: info.isSoftware ? 'paced' : 'spin' };
}

export interface KernelPolicy {
  /**
   * GEMMs (linear, matmul, 1×1 and im2col'd convs, attention's products) through the 64×64
   * workgroup-tiled kernel (gemm-tiled.ts). Before the subgroup kernel where both apply.
   */
  gemmWorkgroupTiles: boolean;
  /**
   * Otherwise the subgroup kernel with this many lanes (gemm-subgroup.ts), or 0 for the portable
   * blocked kernel (gemm-blocked.ts).
   */
  gemmSubgroupSize: number;
  /**
   * A product of at most this many multiply-adds (M·N·K·batch) whose epilogue is only a bias and an
   * activation other than GELU (which shares the plain kernel) runs the plain kernel and the
   * activation as an elementwise pass (f32): its own GEMM variant would cost a compile (lavapipe
   * 0.3–0.4 s) for a product that takes microseconds.
   */
  gemmSplitActivationUpTo: number;
  /**
   * A product the vector kernel cannot take (K % 4 ≠ 0, like an im2col'd conv over RGB: K = 27)
   * whose epilogue is a bias and an activation other than GELU also runs its activation as an
   * elementwise pass (f32), so the any-K kernel compiles only in its canonical form, which
   * attention's P·V shares. Off for the workgroup-tiled GEMM, which has no any-K variant to spare.
   */
  gemmSplitActivationAnyK: boolean;
  /** The GEMM epilogue compiled into each kernel, or chosen at run time by uniform flags (see GpuTuning). */
  epilogue: 'specialised' | 'runtime';
  /** Dense non-1×1 convs go through im2col + GEMM while the column matrix takes at most this many bytes; 0: never. */
  im2colMaxBytes: number;
  /** Depthwise convs (strides 1 and 2) in tiles sharing weights across a subgroup of this size; 0: the direct kernel. */
  depthwiseTileSubgroup: number;
  /** Row reductions with one subgroup of this size per row (row-reduction.ts); 0: a 64-invocation workgroup and a tree. */
  reductionSubgroup: number;
  /** Softmax rows of at most this many keys take one invocation per row; 0: one workgroup per row always. */
  softmaxRowPerInvocationUpTo: number;
  /** Attention as GEMMs + softmax from this many tokens on, the fused kernel below; Infinity: always fused. */
  attentionGemmFromTokens: number;
}

/**
 * A column matrix bound (64 MiB): past it the im2col copy costs more memory traffic than the
 * direct kernel's repeated loads.
 */
const IM2COL_MAX_BYTES = 64 * 2 ** 20;
/**
 * The tiled GEMM's geometry: a `side`×`side` workgroup owns a `tile`×`tile` output tile and stages
 * `k`-deep slices of A and B (f32) in workgroup memory.
 */
export const TILED_GEMM = { tile: 64, k: 16, side: 16 } as const;
const TILED_GEMM_INVOCATIONS = TILED_GEMM.side ** 2;
const TILED_GEMM_STORAGE_BYTES = 2 * TILED_GEMM.tile * TILED_GEMM.k * 4;
/**
 * 2^20 multiply-adds: squeeze-excite's FCs (M = batch, C × C/16: S0's conv_exp 1024 × 64) at
 * every batch size a user's first call is likely to have; the elementwise pass over their output
 * costs microseconds.
 */
const SPLIT_ACTIVATION_MACS = 2 ** 20;
/** The depthwise tile kernel's workgroup; a subgroup must divide it. */
export const DEPTHWISE_TILE_WORKGROUP = 64;
/**
 * On CPU rasterizers a workgroup reduction's barriers cost more than a short row (S0's 1024
 * attention rows of 64: 7 ms → under 1 ms one row per invocation).
 */
const SOFTWARE_ROW_SOFTMAX_UP_TO = 128;
/**
 * On CPU rasterizers the fused attention kernel's per-query registers spill for long sequences:
 * the GEMM decomposition wins from this many tokens (lavapipe, ViT-B's 197 tokens: 32 vs 85 ms).
 * With the subgroup GEMM it wins or ties at any length (77 text tokens × 8 heads: 7.6 vs 16 ms;
 * S0's 64 image tokens × 16 heads: 8.2 vs 7.3 ms) and reuses the GEMM pipelines, so a cold start
 * compiles one kernel fewer (the fused kernel takes lavapipe ~1 s). GPUs keep the fused kernel.
 */
const SOFTWARE_GEMM_ATTENTION_FROM = 128;

/** Whether the adapter allows the tiled GEMM's workgroup (WebGPU's default limits do). */
function tiledGemmFits(info: GpuInfo): boolean {
  return info.maxComputeInvocationsPerWorkgroup >= TILED_GEMM_INVOCATIONS && info.maxComputeWorkgroupStorageSize >= TILED_GEMM_STORAGE_BYTES;
}

export function kernelPolicy(info: GpuInfo, tuning: GpuTuning): KernelPolicy {
  const lanes = info.subgroupSize ?? 0;
  // Workgroup memory pays on hardware; on CPU rasterizers the subgroup kernel is the fast one.
  const gemmWorkgroupTiles = tuning.tiledGemm && !info.isSoftware && tiledGemmFits(info);
  const gemmSubgroupSize = tuning.subgroupGemm ? lanes : 0;
  return {
    gemmWorkgroupTiles,
    gemmSubgroupSize,
    gemmSplitActivationUpTo: SPLIT_ACTIVATION_MACS,
    // Only the subgroup and blocked kernels have an any-K variant to spare; the tiled one reads any K.
    gemmSplitActivationAnyK: !gemmWorkgroupTiles,
    epilogue: tuning.runtimeEpilogue ? 'runtime' : 'specialised',
    // The column matrix pays only where a fast GEMM consumes it.
    im2colMaxBytes: tuning.im2colConv && (gemmWorkgroupTiles || gemmSubgroupSize) ? IM2COL_MAX_BYTES : 0,
    depthwiseTileSubgroup: tuning.depthwiseTiles && lanes && DEPTHWISE_TILE_WORKGROUP % lanes === 0 ? lanes : 0,
    reductionSubgroup: tuning.subgroupReductions ? lanes : 0,
    softmaxRowPerInvocationUpTo: info.isSoftware && tuning.rowPerInvocationSoftmax ? SOFTWARE_ROW_SOFTMAX_UP_TO : 0,
    attentionGemmFromTokens: !info.isSoftware ? Infinity : gemmSubgroupSize ? 0 : SOFTWARE_GEMM_ATTENTION_FROM,
  };
}

/** Refuses a forced policy this adapter cannot run (a subgroup kernel needs the probed size). */
export function checkPolicy(info: GpuInfo, p: KernelPolicy): void {
  for (const [what, lanes] of [['gemmSubgroupSize', p.gemmSubgroupSize], ['depthwiseTileSubgroup', p.depthwiseTileSubgroup], ['reductionSubgroup', p.reductionSubgroup]] as const) {
    if (lanes && lanes !== info.subgroupSize) {
      throw new GpuError(`policy: ${what} = ${lanes} but ${info.description} has ${info.subgroupSize ? `a fixed subgroup size of ${info.subgroupSize}` : 'no fixed subgroup size'}`);
    }
  }
  if (p.gemmWorkgroupTiles && !tiledGemmFits(info)) {
    throw new GpuError(`policy: the tiled GEMM needs ${TILED_GEMM_INVOCATIONS} invocations and ${TILED_GEMM_STORAGE_BYTES} bytes of workgroup memory; ${info.description} allows ${info.maxComputeInvocationsPerWorkgroup} and ${info.maxComputeWorkgroupStorageSize}`);
  }
  if (p.depthwiseTileSubgroup && DEPTHWISE_TILE_WORKGROUP % p.depthwiseTileSubgroup !== 0) {
    throw new GpuError(`policy: depthwise tiles need a subgroup size dividing ${DEPTHWISE_TILE_WORKGROUP}, got ${p.depthwiseTileSubgroup}`);
  }
}

/** One line: every choice of the policy. */
export function describePolicy(p: KernelPolicy): string {
  const mib = (b: number) => `${b / 2 ** 20} MiB`;
  return [
    `gemm=${p.gemmWorkgroupTiles ? 'tiled64' : p.gemmSubgroupSize ? `subgroup${p.gemmSubgroupSize}` : 'blocked'}`,
    `epilogue=${p.epilogue}${p.epilogue === 'specialised' && p.gemmSplitActivationUpTo ? `,act-pass≤${p.gemmSplitActivationUpTo / 2 ** 20}Mi-MACs` : ''}${p.epilogue === 'specialised' && p.gemmSplitActivationAnyK ? ',act-pass-any-K' : ''}`,
    `im2col=${p.im2colMaxBytes ? `≤${mib(p.im2colMaxBytes)}` : 'off'}`,
    `depthwise=${p.depthwiseTileSubgroup ? `tiles.sg${p.depthwiseTileSubgroup}` : 'direct'}`,
    `reductions=${p.reductionSubgroup ? `sg${p.reductionSubgroup}` : 'workgroup'}`,
    `softmax=${p.softmaxRowPerInvocationUpTo ? `rows≤${p.softmaxRowPerInvocationUpTo}` : 'workgroup'}`,
    `attention=${p.attentionGemmFromTokens === Infinity ? 'fused' : p.attentionGemmFromTokens === 0 ? 'gemm' : `gemm≥${p.attentionGemmFromTokens} tokens`}`,
  ].join(' ');
}
