/** The backend-neutral ops: what layers and models call. Each checks its operands, then runs on their backend. */
export { gemm, linear, matmul, gemmRef, type GemmEpilogue, type GemmSpec, type GemmRefSpec, type BLayout, type Along } from './gemm.js';
export { conv2d, pointwiseConv, conv2dRef, conv2dOutputSize, type Conv2dOptions, type Conv2dGeometry } from './conv2d.js';
export { unary, gelu, relu, sigmoid, unaryRef } from './unary.js';
export { type Activation, ACTIVATIONS, activationRef } from './activation.js';
export { channelAffine, channelAffineRef, type ChannelAffineOptions } from './channel-affine.js';
export { layerNorm, layerNormRef } from './layer-norm.js';
export { softmax, softmaxRef } from './softmax.js';
export { attention, attentionRef, packQkv, splitHeads, qkvShape, type AttentionOptions, type AttentionGeometry } from './attention.js';
export { globalAvgPool, globalAvgPoolRef } from './pool.js';
export { squeezeExcite, squeezeExciteRef, type SqueezeExciteWeights } from './squeeze-excite.js';
export { l2Normalize, l2NormalizeRef } from './l2-normalize.js';
export { embedding, embeddingGather, embeddingRef, checkTokenIds } from './embedding.js';
export { gatherArgmax, gatherArgmaxRef } from './gather-argmax.js';
export { cast } from './cast.js';
export { transposeLast2, transposeLast2Ref } from './transpose.js';
export { patchTokens, patchTokensRef, selectToken } from './tokens.js';
