/**
 * The CPU implementation of each backend op, in plain TypeScript on Float32Arrays. The neutral ops
 * (src/ops/) have checked shapes and dtypes. Loops are ordered so the innermost one walks memory
 * contiguously; sums accumulate in float64 (JavaScript's number) and round once, on store, so
 * results sit within float32 rounding of PyTorch's.
 */
import type { BackendOps } from '../../runtime/backend-ops.js';
import { gemm } from './gemm.js';
import { conv2d } from './conv2d.js';
import { attention } from './attention.js';
import { channelAffine, globalAvgPool, l2Normalize, layerNorm, softmax, unary } from './elementwise.js';
import { embeddingGather, gatherArgmax, patchTokens, selectToken, transposeLast2 } from './layout.js';

export const cpuOps: BackendOps = {
  gemm, conv2d, unary, channelAffine, layerNorm, softmax, attention, globalAvgPool, l2Normalize,
  embeddingGather, gatherArgmax, transposeLast2, patchTokens, selectToken,
};
