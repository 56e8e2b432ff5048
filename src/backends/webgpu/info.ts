/** What an adapter reported, and what the runtime probed on it (`gpu.info`). */
export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation such as Mesa lavapipe or SwiftShader. */
  isSoftware: boolean;
  features: GpuFeatures;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  /** The subgroup size kernels may rely on: fixed on this adapter and checked by a probe kernel. */
  subgroupSize?: number;
}
