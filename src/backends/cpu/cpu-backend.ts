/**
 * The CPU backend: tensors in typed arrays (f32 as Float32Array, i32 as Int32Array; no f16
 * storage), ops computed synchronously (ops.ts): the GEMMs, convs, attention, LayerNorm, softmax
 * and activations in WebAssembly SIMD kernels (wasm-kernels.ts), the rest in TypeScript. Where the
 * kernels' memory is shared (SharedArrayBuffer: Node, a cross-origin isolated page), f32 tensors
 * are arrays in it and the kernels work on them in place; elsewhere they are copied in and out. It runs
 * wherever JavaScript does: a machine or browser without WebGPU gets a result, not an error. Work
 * is done when an op returns, so `read` and `sync` wait for nothing.
 */
import type { Backend, ConstantSource, ConstantValue } from '../../runtime/backend.js';
import type { DType, HostArray } from '../../runtime/dtype.js';
import { GpuError, ShapeError } from '../../runtime/errors.js';
import { fmtShape, numel } from '../../runtime/shape.js';
import { Scopes } from '../../runtime/scopes.js';
import { Tensor } from '../../runtime/tensor.js';
import { cpuOps } from './ops.js';
import { singleThreadReason } from './start-threads.js';
import { type KernelVariant, forgetResident, freeTensorArray, kernelVariant, wasmKernels } from './wasm-kernels.js';

const KERNEL_NAMES: Record<KernelVariant, string> = { 'relaxed-simd': 'WebAssembly relaxed SIMD', simd: 'WebAssembly SIMD', javascript: 'JavaScript' };

export type CpuStorage = Float32Array | Int32Array;

/** Typed arrays are limited to 2³¹ − 1 elements in some engines; one tensor stays under 2 GiB. */
const MAX_TENSOR_BYTES = 2 ** 31 - 4;

const FILL: Record<ConstantValue, number> = { zero: 0, 'minus-zero': -0, one: 1 };

export interface CpuMemoryStats {
  /** Bytes held by live tensors this backend allocated. */
  liveBytes: number;
  peakBytes: number;
  tensors: number;
  /** Bytes of released tensors' arrays held for reuse (at most the largest liveBytes seen). */
  pooledBytes: number;
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly maxTensorBytes = MAX_TENSOR_BYTES;
  readonly f16Storage = false;
  readonly ops = cpuOps;
  private readonly scopes = new Scopes();
  private readonly identities = new Map<string, Float32Array>();
  private destroyed = false;
  readonly memory: CpuMemoryStats = { liveBytes: 0, peakBytes: 0, tensors: 0, pooledBytes: 0 };
  /**
   * Arrays of released tensors by element count (f32 as n, i32 as −n), for the next tensors of that
   * size, where they are not in the kernels' memory (whose blocks are reused there). A forward
   * allocates the same sizes every time; fresh arrays of a few MB each cost page faults and, worse,
   * V8's GCs for external memory pressure (whose marking took a core from the kernels' worker
   * thread). Only arrays this backend allocated (never an adopted one) and never a kept tensor's (a
   * weight's: its packed panels are kept by array).
   */
  private readonly pool = new Map<number, CpuStorage[]>();
  private readonly poolable = new WeakSet<CpuStorage>();
  private highWater = 0;
  /** FLOPs of the GEMMs, convs and attention run so far (the ops add theirs: countFlops). */
  flops = 0;

  /**
   * 'CPU (WebAssembly relaxed SIMD, 2 threads)', '… SIMD …', or '… JavaScript …' where the engine
   * has no SIMD; one thread says why where it was asked for more ('1 thread: the page is not cross-origin isolated …').
   */
  get description(): string {
    const threads = wasmKernels()?.threads ?? 1;
    const why = threads === 1 && wasmKernels() ? singleThreadReason() : null;
    return `CPU (${KERNEL_NAMES[kernelVariant()]}, ${threads} thread${threads > 1 ? 's' : ''}${why ? `: ${why}` : ''})`;
  }

  private assertUsable(): void {
    if (this.destroyed) throw new GpuError('the CPU backend was destroyed');
  }

  empty(shape: readonly number[], dtype: DType = 'f32', label = 'tensor'): Tensor {
    return this.allocate(shape, dtype, label, true);
  }

  /**
   * An f32 tensor whose every element the caller is about to write (an op's output): where it
   * reuses a released array, that array is not zeroed first.
   */
  uninitialized(shape: readonly number[], label: string): Tensor {
    return this.allocate(shape, 'f32', label, false);
  }

  private allocate(shape: readonly number[], dtype: DType, label: string, zeroed: boolean): Tensor {
    this.assertUsable();
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(`${label}: invalid shape ${fmtShape(shape)}`);
    if (dtype === 'f16') throw new GpuError(`${label}: the CPU backend stores float32, not f16 (use dtype 'f32')`);
    const n = numel(shape);
    if (n * 4 > MAX_TENSOR_BYTES) throw new GpuError(`${label}: ${fmtShape(shape)} ${dtype} needs ${n * 4} bytes, more than the CPU backend's ${MAX_TENSOR_BYTES} per tensor`);
    // f32 in the kernels' memory where it holds tensors: they read and write it in place.
    const inKernels = dtype === 'f32' ? wasmKernels()?.tensorArray(n) : null;
    if (inKernels) return this.own(zeroed ? inKernels.fill(0) : inKernels, shape, dtype, label);
    const reused = this.pool.get(dtype === 'i32' ? -n : n)?.pop();
    if (reused) {
      this.memory.pooledBytes -= reused.byteLength;
      return this.own(zeroed ? reused.fill(0) : reused, shape, dtype, label);
    }
    const data = dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
    if (n > 0) this.poolable.add(data);
    return this.own(data, shape, dtype, label);
  }

  /** A tensor owning `data`, counted and recorded in the innermost open scope. */
  private own(data: CpuStorage, shape: readonly number[], dtype: DType, label: string): Tensor {
    this.memory.liveBytes += data.byteLength;
    this.memory.peakBytes = Math.max(this.memory.peakBytes, this.memory.liveBytes);
    this.highWater = Math.max(this.highWater, this.memory.liveBytes);
    this.memory.tensors++;
    const t = new Tensor(this, shape, dtype, data, label);
    this.scopes.track(t);
    return t;
  }

  adopt(data: Float32Array, shape: readonly number[], label = 'upload'): Tensor {
    this.assertUsable();
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(`${label}: invalid shape ${fmtShape(shape)}`);
    if (numel(shape) !== data.length) {
      throw new ShapeError(`${label}: ${data.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
    }
    return this.own(data, shape, 'f32', label);
  }

  upload(data: HostArray | readonly number[], shape: readonly number[], dtype?: DType, label = 'upload'): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint16Array ? 'f16' : 'f32');
    if (numel(shape) !== data.length) {
      throw new ShapeError(`${label}: ${data.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
    }
    if (dt === 'i32' && (data instanceof Float32Array || data instanceof Uint16Array)) throw new ShapeError(`${label}: i32 tensors take an Int32Array`);
    if (dt === 'f32' && (data instanceof Int32Array || data instanceof Uint16Array)) throw new ShapeError(`${label}: f32 tensors take a Float32Array`);
    const t = this.empty(shape, dt, label);
    (t.storage as CpuStorage).set(data as ArrayLike<number>);
    return t;
  }

  writeTensor(t: Tensor, data: Float32Array | Int32Array): void {
    if (data.length !== t.size) throw new ShapeError(`writeTensor: ${data.length} values for ${t.label} ${fmtShape(t.shape)}`);
    if ((t.dtype === 'i32') !== data instanceof Int32Array) throw new ShapeError(`writeTensor: ${t.label} is ${t.dtype}`);
    storageOf(t).set(data);
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    this.assertUsable();
    return storageOf(t).slice();
  }

  copyElements(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, count: number): void {
    if (src.dtype !== dst.dtype) throw new ShapeError(`copyElements: ${src.label} is ${src.dtype} but ${dst.label} is ${dst.dtype}`);
    if (srcAt < 0 || dstAt < 0 || count < 0 || srcAt + count > src.size || dstAt + count > dst.size) {
      throw new ShapeError(`copyElements: [${srcAt}, +${count}) of ${src.label} ${fmtShape(src.shape)} into [${dstAt}, +${count}) of ${dst.label} ${fmtShape(dst.shape)} is out of range`);
    }
    storageOf(dst).set(storageOf(src).subarray(srcAt, srcAt + count), dstAt);
  }

  constantVector(value: ConstantValue, length: number, dtype: DType): Tensor {
    if (dtype !== 'f32') throw new GpuError(`constant vectors on the CPU are f32, not ${dtype}`);
    const have = this.identities.get(value);
    const data = have && have.length >= length ? have : new Float32Array(Math.max(length, 1024)).fill(FILL[value]);
    this.identities.set(value, data);
    return new Tensor(this, [length], dtype, data.subarray(0, length), `constant ${value}`, false);
  }

  constantSource(): ConstantSource {
    return {
      tensor: (value, shape, dtype, label) => {
        if (dtype !== 'f32') throw new GpuError(`${label}: the CPU backend stores float32, not ${dtype}`);
        return new Tensor(this, shape, dtype, new Float32Array(numel(shape)).fill(FILL[value]), label, false);
      },
      destroy: () => {},
    };
  }

  scope<T>(fn: () => T): T {
    return this.scopes.run(fn);
  }

  keep(t: Tensor): Tensor {
    (t.base ?? t).kept = true;
    return t;
  }

  release(t: Tensor): void {
    const data = t.storage as CpuStorage;
    this.memory.liveBytes -= data.byteLength;
    this.memory.tensors--;
    if (t.kept) forgetResident(data); // a weight's packed panels go with it
    if (data instanceof Float32Array && freeTensorArray(data)) return;
    if (t.kept || this.destroyed || !this.poolable.has(data) || this.memory.pooledBytes + data.byteLength > this.highWater) return;
    const key = data instanceof Int32Array ? -data.length : data.length;
    const free = this.pool.get(key);
    if (free) free.push(data);
    else this.pool.set(key, [data]);
    this.memory.pooledBytes += data.byteLength;
  }

  counters(): { flops: number; peakBytes: number } {
    return { flops: this.flops, peakBytes: this.memory.peakBytes };
  }

  resetPeak(): void {
    this.memory.peakBytes = this.memory.liveBytes;
  }

  async sync(): Promise<void> {
    this.assertUsable();
  }

  destroy(): void {
    this.destroyed = true;
    this.identities.clear();
    this.pool.clear();
    this.memory.pooledBytes = 0;
  }
}

/** A CPU tensor's typed array (alive). */
export function storageOf(t: Tensor): CpuStorage {
  t.assertAlive();
  return t.storage as CpuStorage;
}
