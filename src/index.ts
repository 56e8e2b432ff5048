/** Platform-independent API: the runtime, the kernels and the checkpoint readers. */
export { Gpu, type GpuInfo, type GpuFeatures, type GpuStats, type DispatchSpec } from './gpu/gpu.js';
export { createGpuFrom, describeGpu, type CreateGpuOptions } from './gpu/device.js';
export { Tensor } from './gpu/tensor.js';
export { GpuError, ShapeError } from './gpu/errors.js';
export type { DType } from './gpu/dtype.js';
export { SafetensorsFile, SafetensorsError, type TensorInfo } from './io/safetensors.js';
export * as kernels from './kernels/index.js';
