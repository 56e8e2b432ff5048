/** The WebGPU implementation of each backend op (src/runtime/backend-ops.ts): one file per kernel. */
import type { BackendOps } from '../../../runtime/backend-ops.js';
import { gemm } from './matmul.js';
import { conv2d } from './conv2d.js';
import { unary } from './unary.js';
import { channelAffine } from './channel-affine.js';
import { layerNorm } from './layer-norm.js';
import { softmax } from './softmax.js';
import { attention } from './attention.js';
import { globalAvgPool } from './pool.js';
import { l2Normalize } from './l2-normalize.js';
import { embeddingGather } from './embedding.js';
import { gatherArgmax } from './gather-argmax.js';
import { cast } from './cast.js';
import { transposeLast2 } from './transpose.js';
import { patchTokens, selectToken } from './tokens.js';

export const webgpuOps: BackendOps = {
  gemm, conv2d, unary, channelAffine, layerNorm, softmax, attention, globalAvgPool, l2Normalize,
  embeddingGather, gatherArgmax, cast, transposeLast2, patchTokens, selectToken,
};
