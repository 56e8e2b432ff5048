/** Platform-independent API: the runtime, the kernels and the checkpoint readers. */
export { Gpu, type GpuInfo, type GpuFeatures, type GpuStats, type DispatchSpec } from './gpu/gpu.js';
export { createGpuFrom, describeGpu, type CreateGpuOptions } from './gpu/device.js';
export { Tensor } from './gpu/tensor.js';
export { GpuError, ShapeError } from './gpu/errors.js';
export type { DType } from './gpu/dtype.js';
export { SafetensorsFile, SafetensorsError, type TensorInfo } from './io/safetensors.js';
export * as kernels from './kernels/index.js';
export { SimpleTokenizer, TokenizerError, type TokenizeResult } from './tokenizer/simple-tokenizer.js';
export { WeightStore, WeightLoadError } from './layers/weights.js';
export { readCheckpoint, type Checkpoint } from './io/checkpoint.js';
export { reparameterizeStateDict } from './layers/reparam.js';
export { MCi } from './models/mci.js';
export { MCI_CONFIGS, mciConfigFromJson, type MciConfig } from './models/mci-config.js';
export { TextTransformer } from './models/text-transformer.js';
export { TEXT_CONFIGS, textConfigFromJson, type TextConfig } from './models/text-config.js';
export { CLIP } from './models/clip.js';
export { identify } from './models/identify.js';
