/**
 * The seam between the model code and the machines it runs on. Layers and models call the
 * neutral ops (src/ops/), which check shapes and dtypes and then call the implementation of the
 * backend their input tensors live on: WebGPU (src/backends/webgpu/) or the CPU
 * (src/backends/cpu/). A backend owns its tensors' storage and their lifetimes.
 */
import type { DType, HostArray } from './dtype.js';
import type { BackendOps } from './backend-ops.js';
import type { Tensor } from './tensor.js';

export type BackendKind = 'webgpu' | 'cpu';

/** Constant vectors a tensor may view instead of storing (a zero weight store, identity operands). */
export type ConstantValue = 'zero' | 'minus-zero' | 'one';

/** A set of read-only constant tensors freed together (the zero weights of a precompile). */
export interface ConstantSource {
  tensor(value: ConstantValue, shape: readonly number[], dtype: DType, label: string): Tensor;
  destroy(): void;
}

export interface Backend {
  readonly kind: BackendKind;
  /** One line naming the device: the adapter, or the CPU and its thread count. */
  readonly description: string;
  /** The largest tensor, in bytes, one op may bind (a WebGPU storage binding's limit). */
  readonly maxTensorBytes: number;
  /** Whether tensors may be stored as f16. */
  readonly f16Storage: boolean;
  readonly ops: BackendOps;

  /** An uninitialised tensor, recorded in the innermost open scope. */
  empty(shape: readonly number[], dtype?: DType, label?: string): Tensor;
  /** Host data as a tensor (a Float32Array may be stored as f16; a Uint16Array is f16 bits). */
  upload(data: HostArray | readonly number[], shape: readonly number[], dtype?: DType, label?: string): Tensor;
  /**
   * Host float32 data the caller hands over (it never reads or writes the array again) as an f32
   * tensor without a copy, where the backend stores tensors in host memory (the CPU's): a weight
   * widened from f16 at load is not copied a second time. Absent: upload it.
   */
  adopt?(data: Float32Array, shape: readonly number[], label?: string): Tensor;
  /** Writes host data into an existing tensor (a plan's input between runs). */
  writeTensor(t: Tensor, data: Float32Array | Int32Array): void;
  /** The tensor's values: f32 and f16 as Float32Array, i32 as Int32Array. */
  read(t: Tensor): Promise<Float32Array | Int32Array>;
  /** Copies `count` elements of src (from `srcAt`) into dst (from `dstAt`), in order with other work. */
  copyElements(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, count: number): void;
  /** `length` copies of a constant, read-only, owned by the backend. */
  constantVector(value: ConstantValue, length: number, dtype: DType): Tensor;
  /** A source of constant tensors the caller frees (see ConstantSource). */
  constantSource(): ConstantSource;
  /** Runs `fn`, disposing every tensor it made that is not in its result and not kept (scopes.ts). */
  scope<T>(fn: () => T): T;
  /** Keeps `t` alive past every enclosing scope: the caller disposes it. */
  keep(t: Tensor): Tensor;
  /** Returns an owning tensor's storage (called once, by Tensor.dispose). */
  release(t: Tensor): void;
  /**
   * Counters for benchmarks: FLOPs of the compute ops issued so far (2 per multiply-add: GEMMs,
   * convs, attention) and the most tensor memory held at once since the last `resetPeak()`.
   */
  counters(): { flops: number; peakBytes: number };
  resetPeak(): void;
  /** Waits until all work issued so far has finished. */
  sync(): Promise<void>;
  destroy(): void;
}
