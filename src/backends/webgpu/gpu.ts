import { BufferPool, type PoolStats } from './buffer-pool.js';
import { BYTES_PER_ELEMENT, type DType, type HostArray, fromF16Bits } from '../../runtime/dtype.js';
import { GpuError, ShapeError } from '../../runtime/errors.js';
import { BufferUsage } from './usage.js';
import { PipelineCache, type PipelineStats } from './pipeline-cache.js';
import { fmtShape, numel } from '../../runtime/shape.js';
import { Tensor } from '../../runtime/tensor.js';
import { UniformArena } from './uniform-arena.js';
import type { ExecutionPlan, PlanHost } from './plan.js';
import type { CommandSink } from './command-sink.js';
import { DeviceHealth } from './device-health.js';
import { ConstantVectors, type ConstantValue } from './constant-vectors.js';
import { type DispatchSpec, dispatchCommand } from './dispatch.js';
import { PlanCapture } from './plan-capture.js';
import { CompileAhead } from './compile-ahead.js';
import { type KernelTime, Profiler } from './profiler.js';
import { Readback } from './readback.js';
import { Recorder } from './recorder.js';
import { SpanTimer } from './span-timer.js';
import { hostBytes } from '../../runtime/host-data.js';
import type { Backend, ConstantSource } from '../../runtime/backend.js';
import type { BackendOps } from '../../runtime/backend-ops.js';
import { Scopes } from '../../runtime/scopes.js';
import type { GpuFeatures, GpuInfo } from './info.js';
import { type GpuTuning, type KernelPolicy, checkPolicy, defaultTuning, kernelPolicy } from './policy.js';

export type { GpuFeatures, GpuInfo } from './info.js';
export type { GpuTuning, KernelPolicy } from './policy.js';
export type { DispatchSpec, TensorRange } from './dispatch.js';

export interface GpuStats {
  memory: PoolStats;
  pipelines: PipelineStats;
  dispatches: number;
  submits: number;
  /** FLOPs of the compute kernels recorded so far (GEMMs, convs, attention): 2 per multiply-add. */
  flops: number;
}

/**
 * The runtime: one GPUDevice with its buffer pool and pipeline cache, and a façade over the parts
 * that each own one concern: the recorder (the open command encoder every dispatch goes into until
 * the next submit; recorder.ts), plan capture (plan-capture.ts), readback and waiting
 * (readback.ts), profiling (profiler.ts), device errors (device-health.ts), tensor lifetimes
 * (scopes.ts) and the kernel policy (policy.ts). Many dispatches go into one compute pass and one
 * submission; nothing waits for the GPU until `read()` or `sync()`.
 */
export class Gpu implements PlanHost, Backend {
  readonly kind = 'webgpu' as const;
  readonly pipelines: PipelineCache;
  readonly buffers: BufferPool;
  readonly tuning: GpuTuning;
  private readonly health: DeviceHealth;
  private readonly recorder: Recorder;
  private readonly readback: Readback;
  /** The active plan capture, if any; commands go to it instead of the recorder. */
  private capturing: PlanCapture | null = null;
  /** The active `precompile`, if any; its dispatches compile their pipelines and nothing else. */
  private compiling: CompileAhead | null = null;
  private compilesAhead: Promise<void> = Promise.resolve();
  private readonly scopes = new Scopes();
  private forcedPolicy: KernelPolicy | null = null;
  private readonly identities: ConstantVectors;
  private flopCount = 0;

  constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo,
    /** The kernels (kernels/index.ts), given here so this runtime does not import them. */
    readonly ops: BackendOps,
  ) {
    this.tuning = defaultTuning(info);
    this.pipelines = new PipelineCache(device);
    this.buffers = new BufferPool(device, info.maxBufferSize);
    this.health = new DeviceHealth(device);
    this.recorder = new Recorder(device, new UniformArena(device, device.limits.minUniformBufferOffsetAlignment));
    this.readback = new Readback(device, this.recorder, this.health, () => this.tuning.readbackWait);
    this.identities = new ConstantVectors(device);
  }

  get description(): string {
    return this.info.description;
  }

  get maxTensorBytes(): number {
    return this.info.maxStorageBufferBindingSize;
  }

  get f16Storage(): boolean {
    return this.features.shaderF16;
  }

  get features(): GpuFeatures {
    return this.info.features;
  }

  /** The kernel policy in force (policy.ts): from `info` and `tuning`, or as `withPolicy` forces it. */
  get policy(): KernelPolicy {
    return this.forcedPolicy ?? kernelPolicy(this.info, this.tuning);
  }

  /**
   * Runs `fn` with `overrides` applied to the policy, so tests and benchmarks can record every
   * path on one adapter. The policy applies while work is recorded: `fn` should not await.
   */
  withPolicy<T>(overrides: Partial<KernelPolicy>, fn: () => T): T {
    const forced = { ...this.policy, ...overrides };
    checkPolicy(this.info, forced);
    const saved = this.forcedPolicy;
    this.forcedPolicy = forced;
    try {
      return fn();
    } finally {
      this.forcedPolicy = saved;
    }
  }

  private get sink(): CommandSink {
    return this.capturing ?? this.compiling ?? this.recorder;
  }

  // ---- tensors -------------------------------------------------------------------------------

  /** An uninitialised tensor from the pool. */
  empty(shape: readonly number[], dtype: DType = 'f32', label = 'tensor'): Tensor {
    this.health.assertUsable();
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(`${label}: invalid shape ${fmtShape(shape)}`);
    if (dtype === 'f16' && !this.features.shaderF16) {
      throw new GpuError(`${label}: f16 tensors need the adapter feature shader-f16, which ${this.info.description} lacks`);
    }
    const bytes = numel(shape) * BYTES_PER_ELEMENT[dtype];
    if (bytes > this.info.maxStorageBufferBindingSize) {
      throw new GpuError(
        `${label}: ${fmtShape(shape)} ${dtype} needs ${bytes} bytes, more than this adapter's maxStorageBufferBindingSize (${this.info.maxStorageBufferBindingSize})`,
      );
    }
    const t = new Tensor(this, shape, dtype, this.buffers.acquire(bytes, label), label);
    this.scopes.track(t);
    return t;
  }

  // ---- lifetimes -----------------------------------------------------------------------------

  /**
   * Runs `fn` and disposes every tensor it made that is not in its result (a tensor, or arrays and
   * plain objects of them; a returned view keeps its buffer's owner) and not kept (`keep`): so a
   * forward reads as its math, with no dispose calls. Returned tensors belong to the enclosing
   * scope. If `fn` throws, everything it made is disposed. `fn` records work; it must not await.
   */
  scope<T>(fn: () => T): T {
    return this.scopes.run(fn);
  }

  /** Keeps `t` (its buffer's owner) alive past every enclosing scope: the caller disposes it. */
  keep(t: Tensor): Tensor {
    (t.base ?? t).kept = true;
    return t;
  }

  /**
   * Uploads host data, in order with the recorded work (a constant of the plan while capturing).
   * A Float32Array can be stored as f16 (`dtype: 'f16'`, rounded to nearest even); a Uint16Array
   * is taken as f16 bits.
   */
  upload(data: HostArray | readonly number[], shape: readonly number[], dtype?: DType, label = 'upload'): Tensor {
    const host = hostBytes(data, shape, dtype, label);
    const t = this.empty(shape, host.dtype, label);
    this.sink.write(t.storage as GPUBuffer, host.bytes, label);
    return t;
  }

  /** Writes host data into an existing tensor (a plan's input between runs). */
  writeTensor(t: Tensor, data: Float32Array | Int32Array): void {
    if (data.length !== t.size) throw new ShapeError(`writeTensor: ${data.length} values for ${t.label} ${fmtShape(t.shape)}`);
    if ((t.dtype === 'i32') !== data instanceof Int32Array || t.dtype === 'f16') throw new ShapeError(`writeTensor: ${t.label} is ${t.dtype}`);
    this.sink.write(t.storage as GPUBuffer, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), t.label);
  }

  /**
   * `length` copies of a constant (constant-vectors.ts), bound where a kernel's operand is the
   * identity (a GEMM without a bias adds −0, so it runs the kernel of the GEMMs with one) or
   * absent and never read (the run-time epilogue's unused inputs). Read-only; outside the pool.
   */
  constantVector(value: ConstantValue, length: number, dtype: DType): Tensor {
    return new Tensor(this, [length], dtype, this.identities.buffer(value, length, dtype), `constant ${value}`, false);
  }

  /** A set of constant tensors with buffers of their own, freed by `destroy` (a zero weight store). */
  constantSource(): ConstantSource {
    const vectors = new ConstantVectors(this.device);
    return {
      tensor: (value, shape, dtype, label) => new Tensor(this, shape, dtype, vectors.buffer(value, numel(shape), dtype), label, false),
      destroy: () => vectors.destroy(),
    };
  }

  /** Returns a tensor's buffer to the pool (Tensor.dispose). */
  release(t: Tensor): void {
    this.buffers.release(t.storage as GPUBuffer);
  }

  /** Submits pending work and copies the tensor back. */
  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    this.health.assertUsable();
    if (this.capturing) throw new GpuError(`read(${t.label}) while recording an execution plan: plans record GPU work only`);
    if (this.compiling) throw new GpuError(`read(${t.label}) inside precompile(): it runs no work to read`);
    t.assertAlive();
    const bytes = await this.readback.read(t.storage as GPUBuffer, t.byteSize, t.label);
    if (t.dtype === 'f32') return new Float32Array(bytes);
    if (t.dtype === 'i32') return new Int32Array(bytes);
    return fromF16Bits(new Uint16Array(bytes));
  }

  // ---- recording -----------------------------------------------------------------------------

  /** Records one compute dispatch. Nothing runs until the next submit. */
  dispatch(spec: DispatchSpec): void {
    this.health.assertUsable();
    const sink = this.sink;
    const command = dispatchCommand(this.device, this.pipelines, sink.params, spec);
    if (!command) return;
    this.flopCount += spec.flops ?? 0;
    sink.record(command);
  }

  /**
   * Copies `count` elements from src (from element `srcAt`) into dst (from `dstAt`), in order with
   * the recorded work (recorded into a plan while capturing). Both tensors of one dtype; byte
   * offsets and sizes must be multiples of 4 (even element counts for f16).
   */
  copyElements(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, count: number): void {
    this.health.assertUsable();
    if (src.dtype !== dst.dtype) throw new ShapeError(`copyElements: ${src.label} is ${src.dtype} but ${dst.label} is ${dst.dtype}`);
    const e = BYTES_PER_ELEMENT[src.dtype];
    const [from, to, bytes] = [srcAt * e, dstAt * e, count * e];
    if (srcAt < 0 || dstAt < 0 || count < 0 || srcAt + count > src.size || dstAt + count > dst.size) {
      throw new ShapeError(`copyElements: [${srcAt}, +${count}) of ${src.label} ${fmtShape(src.shape)} into [${dstAt}, +${count}) of ${dst.label} ${fmtShape(dst.shape)} is out of range`);
    }
    if (from % 4 || to % 4 || bytes % 4) throw new ShapeError(`copyElements: offsets and sizes must be multiples of 4 bytes (got ${from}, ${to}, ${bytes})`);
    src.assertAlive();
    dst.assertAlive();
    if (bytes > 0) this.sink.record({ kind: 'copy', src: src.storage as GPUBuffer, srcOffset: from, dst: dst.storage as GPUBuffer, dstOffset: to, size: bytes });
  }

  /** Labels of the dispatches recorded since the last submit (which kernel variants ran). */
  get pendingKernels(): readonly string[] {
    return this.recorder.pending;
  }

  /** Submits everything recorded so far as one command buffer. Does not wait. */
  submit(): void {
    this.recorder.submit();
  }

  /** Submits pending work and waits until the GPU has finished it; throws any GPU error it raised. */
  async sync(): Promise<void> {
    this.health.assertUsable();
    await this.readback.sync();
  }

  // ---- execution plans ---------------------------------------------------------------------------

  /**
   * Records `fn`'s GPU work as an ExecutionPlan instead of running it. Tensors `fn` creates get
   * their buffers now (intermediates shared by lifetime) and hold their results after `plan.run()`
   * is read. Inputs are tensors made before capturing: write new data into them between runs.
   */
  capture<T>(fn: () => T): { plan: ExecutionPlan; result: T } {
    this.health.assertUsable();
    if (this.capturing) throw new GpuError('capture() inside capture()');
    if (this.compiling) throw new GpuError('capture() inside precompile()');
    this.submit();
    const cap = new PlanCapture(this.device);
    this.capturing = cap;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      cap.abort();
      throw e;
    } finally {
      this.capturing = null;
    }
    return { plan: cap.finish(this, this.buffers), result };
  }

  /**
   * Runs `fn` (which records work and must not await) so that the pipelines it dispatches compile
   * on the device's time: one workgroup of each one's first dispatch is submitted when `fn` returns,
   * and nothing else of `fn`'s work runs (see compile-ahead.ts). The pipelines it creates are
   * reported to `pipelines.onCompile` as their dispatches finish, not at creation. Returns how
   * many pipelines it dispatched. For compiling a model's kernels while its checkpoint is read.
   */
  precompile(fn: () => void): number {
    this.health.assertUsable();
    if (this.capturing || this.compiling) throw new GpuError(`precompile() inside ${this.capturing ? 'capture()' : 'precompile()'}`);
    this.submit();
    const sink = new CompileAhead(this.device, (dst, bytes, label) => this.recorder.write(dst, bytes, label));
    this.compiling = sink;
    try {
      const made = this.pipelines.deferringReports(fn);
      const ran = sink.submit((p) => {
        const label = made.get(p);
        if (label !== undefined) this.pipelines.reportCompiled(label);
      });
      this.compilesAhead = Promise.all([this.compilesAhead, ran]).then(() => {});
      return sink.pipelines;
    } finally {
      this.compiling = null;
      sink.destroy();
    }
  }

  /** Resolves once every `precompile` so far has run and its compiles were reported. */
  precompiled(): Promise<void> {
    return this.compilesAhead;
  }

  replay(plan: ExecutionPlan): void {
    this.health.assertUsable();
    if (this.capturing) throw new GpuError('replaying a plan while recording another');
    if (this.compiling) throw new GpuError('replaying a plan inside precompile()');
    for (const c of plan.commands) this.recorder.record(c);
  }

  releasePlan(plan: ExecutionPlan): void {
    this.buffers.unpin(plan.buffers);
    // After the submissions that use them (queue order), these can go.
    this.submit();
    plan.params.destroy();
    plan.staging.forEach((b) => b.destroy());
  }

  // ---- profiling -------------------------------------------------------------------------------

  /**
   * Times every dispatch until `endProfile()` with timestamp queries (needs `timestamp-query`):
   * each dispatch gets its own pass. For finding where time goes, not for headline timings.
   */
  startProfile(): void {
    if (!this.features.timestampQuery) throw new GpuError(`profiling needs the timestamp-query feature, which ${this.info.description} lacks`);
    this.submit();
    this.recorder.profiler = new Profiler(this.device);
  }

  /** Per kernel label: total GPU milliseconds and dispatch count, sorted by time. */
  endProfile(): Promise<KernelTime[]> {
    const p = this.recorder.profiler;
    if (!p) throw new GpuError('endProfile() without startProfile()');
    this.recorder.profiler = null;
    return p.finish(this.recorder, (start) => this.readback.wait(start, 'reading the profile'));
  }

  /**
   * A timer for the GPU's own time of the work recorded between its `begin()` and `end()`
   * (span-timer.ts; needs `timestamp-query`). Reusable: begin, end, read, and again.
   */
  spanTimer(): SpanTimer {
    if (!this.features.timestampQuery) throw new GpuError(`timing a span needs the timestamp-query feature, which ${this.info.description} lacks`);
    const assertRecording = () => {
      this.health.assertUsable();
      if (this.capturing || this.compiling) throw new GpuError('a span timer marks eager or replayed work, not work inside capture() or precompile()');
    };
    return new SpanTimer(this.device, this.recorder, assertRecording, (start) => this.readback.wait(start, 'reading a span timer'));
  }

  // ---- lifetime ------------------------------------------------------------------------------

  counters(): { flops: number; peakBytes: number } {
    return { flops: this.flopCount, peakBytes: this.buffers.stats.peakBytes };
  }

  resetPeak(): void {
    this.buffers.resetPeak();
  }

  stats(): GpuStats {
    return {
      memory: { ...this.buffers.stats },
      pipelines: { ...this.pipelines.stats },
      dispatches: this.recorder.dispatches,
      submits: this.recorder.submits,
      flops: this.flopCount,
    };
  }

  /** Frees every buffer and the device. A Node process can exit once its Gpus are destroyed. */
  destroy(): void {
    if (this.health.destroyed) return;
    this.health.destroyed = true;
    this.recorder.discard();
    this.buffers.destroyAll();
    this.recorder.params.destroy();
    this.identities.destroy();
    this.device.destroy();
  }
}

