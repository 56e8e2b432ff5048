/**
 * What each backend implements, op by op. The neutral ops (src/ops/) have checked every operand
 * (shapes, dtypes, one backend) before calling these: an implementation computes, it does not
 * validate.
 */
import type { Tensor } from './tensor.js';

export type Activation = 'none' | 'gelu' | 'relu' | 'sigmoid';

export const ACTIVATIONS: readonly Activation[] = ['none', 'gelu', 'relu', 'sigmoid'];

/** Which output index a bias or scale vector runs along. */
export type Along = 'm' | 'n';
/** B as [N, K] (PyTorch's Linear weight) or [K, N]. */
export type BLayout = 'nk' | 'kn';

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
   * A hint for backends that specialise on K: K changes call to call (attention's P·V, where K is
   * the token count), so one kernel for any K serves them all.
   */
  anyK?: boolean;
}

/** A checked conv's sizes, as every backend's implementation takes them. */
export interface Conv2dGeometry {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  cinPerGroup: number;
  kh: number;
  kw: number;
  groups: number;
  stride: [number, number];
  pad: [number, number];
  oh: number;
  ow: number;
  bias?: Tensor;
  act: Activation;
}

export interface ChannelAffineOptions {
  shift?: Tensor;
  residual?: Tensor;
  act?: Activation;
  /** Elements per channel step: H·W for NCHW (default: product of dims after dim 1), 1 for channel-last. */
  inner?: number;
}

/** Options with `inner` resolved, as a backend takes them. */
export type ChannelAffineSpec = ChannelAffineOptions & { inner: number };

export interface AttentionOptions {
  heads: number;
  /** Multiplies q before q·kᵀ; default head_dim^-0.5. */
  scale?: number;
  causal?: boolean;
}

/** A checked attention's sizes, as every backend's implementation takes them. */
export interface AttentionGeometry {
  b: number;
  n: number;
  heads: number;
  hd: number;
  scale: number;
  causal: boolean;
}


export interface BackendOps {
  gemm(s: GemmSpec): Tensor;
  /** Every conv but the 1×1 stride-1 ones, which are GEMMs. */
  conv2d(x: Tensor, weight: Tensor, g: Conv2dGeometry): Tensor;
  unary(x: Tensor, act: Activation): Tensor;
  channelAffine(x: Tensor, scale: Tensor, s: ChannelAffineSpec): Tensor;
  layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor;
  softmax(x: Tensor, opts: { causal: boolean }): Tensor;
  attention(qkv: Tensor, g: AttentionGeometry): Tensor;
  globalAvgPool(x: Tensor): Tensor;
  l2Normalize(x: Tensor, eps: number): Tensor;
  embeddingGather(blocks: readonly Tensor[], ids: Tensor, positions?: Tensor): Tensor;
  gatherArgmax(x: Tensor, ids: Tensor): Tensor;
  transposeLast2(x: Tensor): Tensor;
  patchTokens(map: Tensor, positions: Tensor, cls: Tensor): Tensor;
  selectToken(x: Tensor, index: number): Tensor;
  /** f32 ↔ f16, on backends with f16 storage. */
  cast?(x: Tensor, to: 'f16' | 'f32'): Tensor;
}
