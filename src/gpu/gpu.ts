import { BufferPool, type PoolStats } from './buffer-pool.js';
import { BYTES_PER_ELEMENT, type DType, type HostArray, fromF16Bits, toF16Bits } from './dtype.js';
import { GpuError, ShapeError } from './errors.js';
import { pacedWait } from './paced-wait.js';
import { BufferUsage, MapMode } from './usage.js';
import { PipelineCache, type PipelineStats } from './pipeline-cache.js';
import { fmtShape, numel } from './shape.js';
import { Tensor } from './tensor.js';
import { UniformArena } from './uniform-arena.js';
import { type KernelSignature, kernelHeader, packParams } from './kernel.js';
import { ExecutionPlan, type PlanCommand, type PlanHost } from './plan.js';

const PROFILE_CAPACITY = 2048; // WebGPU allows 4096 queries per set: two per dispatch

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

/** Kernel choices a caller may turn off (tests run both paths; benchmarks compare them). */
export interface GpuTuning {
  /** Use the subgroup GEMM where `info.subgroupSize` is known (default true). */
  subgroupGemm: boolean;
  /** Dense non-1×1 convs as im2col + GEMM where the subgroup GEMM runs (default true). */
  im2colConv: boolean;
  /** Depthwise stride-1 convs through the 4×4-tile subgroup kernel where it fits (default true). */
  depthwiseTiles: boolean;
  /** Softmax of short rows (≤ 128) one row per invocation on software adapters (default true). */
  rowPerInvocationSoftmax: boolean;
  /**
   * One GEMM kernel per operand layout whatever its epilogue (bias, scale, residual and activation
   * chosen by uniform flags) instead of one per epilogue: the same arithmetic bit for bit, far
   * fewer pipelines to compile. Default false: on lavapipe it takes S0's first image embedding
   * from an empty shader cache 1.2 s sooner and its first text 1.6 s sooner, and costs about 7 %
   * on every warm forward; Mesa's disk cache makes the compile a once-per-machine cost, so turn it
   * on where every run starts cold (a fresh container, CI), before the first forward.
   */
  runtimeEpilogue: boolean;
  /**
   * How a read waits for the GPU: 'paced' polls Dawn about once a millisecond (default on software
   * adapters, whose work runs on the CPU cores a spinning wait would take; see paced-wait.ts),
   * 'spin' lets the binding poll continuously (default on GPUs: the lowest latency).
   */
  readbackWait: 'paced' | 'spin';
}

export interface DispatchSpec {
  /** Names the kernel in pipeline labels and error messages. */
  label: string;
  /** Its parameters and bindings by name (see kernel.ts): the WGSL declarations are written from it. */
  signature: KernelSignature;
  /** The WGSL after those declarations, generated from compile-time constants only. */
  body: string;
  entryPoint?: string;
  /** Values of the signature's parameters, by name. */
  params?: Readonly<Record<string, number>>;
  /** A tensor for each of the signature's bindings, by name. */
  bindings: Readonly<Record<string, Tensor | TensorRange>>;
  workgroups: readonly [number, number?, number?];
  /** Multiply-adds × 2 this dispatch performs, for the FLOP count in `stats()` (compute kernels). */
  flops?: number;
}

/** A tensor bound over `bytes` bytes instead of its own size (whole vectors past an odd end). */
export interface TensorRange {
  tensor: Tensor;
  bytes: number;
}

export interface GpuStats {
  memory: PoolStats;
  pipelines: PipelineStats;
  dispatches: number;
  submits: number;
  /** FLOPs of the compute kernels recorded so far (GEMMs, convs, attention): 2 per multiply-add. */
  flops: number;
}

/**
 * The runtime: one GPUDevice with its buffer pool, pipeline cache and the command encoder that
 * records every dispatch until the next submit. Many dispatches go into one compute pass and one
 * submission; nothing waits for the GPU until `read()` or `sync()`.
 */
export class Gpu implements PlanHost {
  readonly pipelines: PipelineCache;
  readonly buffers: BufferPool;
  readonly tuning: GpuTuning;
  private readonly uniforms: UniformArena;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded: string[] = [];
  private errors: string[] = [];
  private lostMessage: string | null = null;
  private destroyed = false;
  private dispatchCount = 0;
  private flopCount = 0;
  private submitCount = 0;
  private lastSubmitted: string[] = [];
  /** Staging buffers of uploads recorded into the open encoder; destroyed once submitted. */
  private stagingToDestroy: GPUBuffer[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo,
  ) {
    this.tuning = { subgroupGemm: true, im2colConv: true, depthwiseTiles: true, rowPerInvocationSoftmax: true, runtimeEpilogue: false, readbackWait: info.isSoftware ? 'paced' : 'spin' };
    this.pipelines = new PipelineCache(device);
    this.buffers = new BufferPool(device, info.maxBufferSize);
    this.uniforms = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.errors.push(ev.error.message);
    };
    void device.lost.then((lost) => {
      if (!this.destroyed) this.lostMessage = `${lost.reason}: ${lost.message}`;
    });
  }

  get features(): GpuFeatures {
    return this.info.features;
  }

  private placeholderBuffer: GPUBuffer | null = null;
  /**
   * A 16-byte tensor bound where a kernel's optional input is absent (a uniform flag says so; it is
   * never read). Typed like the inputs it stands for, so an f16 kernel's text is the same with or
   * without them; outside the pool (never freed, not in the memory stats).
   */
  placeholder(dtype: DType): Tensor {
    this.placeholderBuffer ??= this.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE, label: 'placeholder' });
    return new Tensor(this, [dtype === 'f16' ? 8 : 4], dtype, this.placeholderBuffer, 'placeholder', false);
  }

  // ---- tensors -------------------------------------------------------------------------------

  /** An uninitialised tensor from the pool. */
  empty(shape: readonly number[], dtype: DType = 'f32', label = 'tensor'): Tensor {
    this.assertUsable();
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
    return new Tensor(this, shape, dtype, this.buffers.acquire(bytes, label), label);
  }

  /**
   * Uploads host data. A Float32Array can be stored as f16 (`dtype: 'f16'`, rounded to nearest
   * even); a Uint16Array is taken as f16 bits.
   */
  upload(data: HostArray | readonly number[], shape: readonly number[], dtype?: DType, label = 'upload'): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint16Array ? 'f16' : 'f32');
    if (numel(shape) !== data.length) {
      throw new ShapeError(`${label}: ${data.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
    }
    let src: HostArray;
    if (dt === 'f16') src = data instanceof Uint16Array ? data : toF16Bits(data);
    else if (dt === 'i32') {
      if (data instanceof Float32Array || data instanceof Uint16Array) throw new ShapeError(`${label}: i32 tensors take an Int32Array`);
      src = data instanceof Int32Array ? data : Int32Array.from(data);
    } else {
      if (data instanceof Int32Array || data instanceof Uint16Array) throw new ShapeError(`${label}: f32 tensors take a Float32Array`);
      src = data instanceof Float32Array ? data : Float32Array.from(data);
    }
    const t = this.empty(shape, dt, label);
    this.write(t.buffer, new Uint8Array(src.buffer, src.byteOffset, src.byteLength), label);
    return t;
  }

  /**
   * Host → GPU copy, ordered with the recorded work. queue.writeBuffer runs before any command
   * buffer not yet submitted, so while commands are being recorded (and the pooled buffer may
   * still be read or written by them under its previous owner) the data goes through a staging
   * buffer and a copy recorded in the same encoder instead.
   */
  private write(dst: GPUBuffer, bytes: Uint8Array, label: string): void {
    const size = Math.ceil(bytes.byteLength / 4) * 4;
    if (size === 0) return;
    if (this.capturing) {
      // A constant of the recorded forward: kept in the plan and copied in, in order, at every run.
      const staging = this.device.createBuffer({ size, usage: BufferUsage.COPY_SRC, mappedAtCreation: true, label: `plan constant ${label}` });
      new Uint8Array(staging.getMappedRange()).set(bytes);
      staging.unmap();
      this.capturing.staging.push(staging);
      this.copyBuffer(staging, dst, size);
      return;
    }
    if (!this.encoder) {
      const whole = bytes.byteLength & ~3;
      if (whole > 0) this.device.queue.writeBuffer(dst, 0, bytes, 0, whole);
      if (whole < bytes.byteLength) {
        // writeBuffer moves multiples of 4 bytes; pad the tail (an odd number of f16 values).
        const tail = new Uint8Array(4);
        tail.set(bytes.subarray(whole));
        this.device.queue.writeBuffer(dst, whole, tail);
      }
      return;
    }
    const staging = this.device.createBuffer({ size, usage: BufferUsage.COPY_SRC, mappedAtCreation: true, label: `upload ${label}` });
    new Uint8Array(staging.getMappedRange()).set(bytes);
    staging.unmap();
    this.copyBuffer(staging, dst, size);
    this.stagingToDestroy.push(staging);
  }

  /** Submits pending work and copies the tensor back. */
  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    this.assertUsable();
    if (this.capturing) throw new GpuError(`read(${t.label}) while recording an execution plan: plans record GPU work only`);
    t.assertAlive();
    const size = Math.max(4, Math.ceil(t.byteSize / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: `read ${t.label}` });
    try {
      this.endPass();
      this.commandEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, size);
      this.submit();
      try {
        await this.waitFor(() => staging.mapAsync(MapMode.READ));
      } catch (e) {
        this.throwPendingErrors();
        throw new GpuError(`reading ${t.label} failed: ${(e as Error).message}`);
      }
      this.throwPendingErrors();
      const bytes = staging.getMappedRange().slice(0, t.byteSize);
      staging.unmap();
      if (t.dtype === 'f32') return new Float32Array(bytes);
      if (t.dtype === 'i32') return new Int32Array(bytes);
      return fromF16Bits(new Uint16Array(bytes));
    } finally {
      staging.destroy();
    }
  }

  // ---- recording -----------------------------------------------------------------------------

  /** Records one compute dispatch. Nothing runs until the next submit. */
  dispatch(spec: DispatchSpec): void {
    this.assertUsable();
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxWg = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new GpuError(`${spec.label}: dispatch of [${x}, ${y}, ${z}] workgroups exceeds the limit ${maxWg} per dimension`);
    }
    this.flopCount += spec.flops ?? 0;
    const dtypes: Record<string, DType> = {};
    for (const [name, b] of Object.entries(spec.bindings)) dtypes[name] = (b instanceof Tensor ? b : b.tensor).dtype;
    const f16 = Object.values(dtypes).includes('f16');
    const label = f16 ? `${spec.label}.f16` : spec.label;
    const code = `${kernelHeader(spec.label, spec.signature, dtypes)}\n${spec.body}`;
    const pipeline = this.pipelines.get(label, code, spec.entryPoint);
    const entries: GPUBindGroupEntry[] = [];
    const cap = this.capturing;
    if (spec.signature.params) entries.push({ binding: 0, resource: (cap ? cap.params : this.uniforms).alloc(packParams(spec.label, spec.signature, spec.params ?? {})) });
    // In the signature's order: kernelHeader numbers the bindings so.
    Object.keys(spec.signature.bindings).forEach((name, i) => {
      const b = spec.bindings[name];
      const resource = b instanceof Tensor ? b.binding : { ...b.tensor.binding, size: b.bytes };
      cap?.buffers.add(resource.buffer);
      entries.push({ binding: i + 1, resource });
    });
    const bindGroup = this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
    const command: PlanCommand = { kind: 'dispatch', label, pipeline, bindGroup, workgroups: [x, y, z] };
    if (cap) cap.commands.push(command);
    else this.encode(command);
  }

  /**
   * Copies `count` elements from src (from element `srcAt`) into dst (from `dstAt`), in order with
   * the recorded work (recorded into a plan while capturing). Both tensors of one dtype; byte
   * offsets and sizes must be multiples of 4 (even element counts for f16).
   */
  copyElements(src: Tensor, srcAt: number, dst: Tensor, dstAt: number, count: number): void {
    this.assertUsable();
    if (src.dtype !== dst.dtype) throw new ShapeError(`copyElements: ${src.label} is ${src.dtype} but ${dst.label} is ${dst.dtype}`);
    const e = BYTES_PER_ELEMENT[src.dtype];
    const [from, to, bytes] = [srcAt * e, dstAt * e, count * e];
    if (srcAt < 0 || dstAt < 0 || count < 0 || srcAt + count > src.size || dstAt + count > dst.size) {
      throw new ShapeError(`copyElements: [${srcAt}, +${count}) of ${src.label} ${fmtShape(src.shape)} into [${dstAt}, +${count}) of ${dst.label} ${fmtShape(dst.shape)} is out of range`);
    }
    if (from % 4 || to % 4 || bytes % 4) throw new ShapeError(`copyElements: offsets and sizes must be multiples of 4 bytes (got ${from}, ${to}, ${bytes})`);
    src.assertAlive();
    dst.assertAlive();
    if (bytes > 0) this.copyBuffer(src.buffer, dst.buffer, bytes, from, to);
  }

  /** Labels of the dispatches recorded since the last submit (which kernel variants ran). */
  get pendingKernels(): readonly string[] {
    return this.recorded;
  }

  /** A buffer-to-buffer copy, recorded into a plan while capturing. */
  private copyBuffer(src: GPUBuffer, dst: GPUBuffer, size: number, srcOffset = 0, dstOffset = 0): void {
    const command: PlanCommand = { kind: 'copy', src, srcOffset, dst, dstOffset, size };
    if (this.capturing) {
      this.capturing.commands.push(command);
      this.capturing.buffers.add(src).add(dst);
    } else this.encode(command);
  }

  /** The one place commands reach the encoder: eager dispatches and copies, and plan replays. */
  private encode(c: PlanCommand): void {
    if (c.kind === 'copy') {
      this.endPass();
      this.commandEncoder().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
      return;
    }
    if (this.profiler) this.endPass(); // one pass per dispatch, timestamped at its ends
    const pass = this.computePass(c.label);
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, c.bindGroup);
    pass.dispatchWorkgroups(...c.workgroups);
    this.recorded.push(c.label);
    this.dispatchCount++;
  }

  /** Submits everything recorded so far as one command buffer. Does not wait. */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.uniforms.flush(this.device.queue);
    const cmd = this.encoder.finish({ label: `submission of ${this.recorded.length} dispatches` });
    this.encoder = null;
    this.device.queue.submit([cmd]);
    for (const b of this.stagingToDestroy) b.destroy(); // safe once submitted
    this.stagingToDestroy = [];
    this.submitCount++;
    this.lastSubmitted = this.recorded;
    this.recorded = [];
  }

  /** Submits pending work and waits until the GPU has finished it; throws any GPU error it raised. */
  async sync(): Promise<void> {
    this.assertUsable();
    this.submit();
    await this.waitFor(() => this.device.queue.onSubmittedWorkDone());
    this.throwPendingErrors();
  }

  /** Awaits a Dawn promise (a map, the queue's work done) as `tuning.readbackWait` says. */
  private waitFor<T>(start: () => Promise<T>): Promise<T> {
    return this.tuning.readbackWait === 'paced' ? pacedWait(start) : start();
  }

  private throwPendingErrors(): void {
    if (this.lostMessage) throw new GpuError(`the GPU device was lost (${this.lostMessage})`);
    if (this.errors.length === 0) return;
    const errs = this.errors;
    this.errors = [];
    const kernels = [...new Set(this.lastSubmitted)].join(', ');
    throw new GpuError(`WebGPU error in a submission running [${kernels}]:\n${errs.join('\n')}`);
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'mobileclip' });
    return this.encoder;
  }

  /** The open compute pass; when profiling, a new timestamped pass named after the kernel. */
  private computePass(label: string): GPUComputePassEncoder {
    if (!this.pass && this.profiler) {
      const p = this.profiler;
      const i = p.labels.length;
      if (i >= PROFILE_CAPACITY) throw new GpuError(`profiling: more than ${PROFILE_CAPACITY} dispatches in one profile`);
      p.labels.push(label);
      this.pass = this.commandEncoder().beginComputePass({
        label,
        timestampWrites: { querySet: p.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
    }
    this.pass ??= this.commandEncoder().beginComputePass({ label: 'mobileclip' });
    return this.pass;
  }

  // ---- execution plans ---------------------------------------------------------------------------

  private capturing: { commands: PlanCommand[]; buffers: Set<GPUBuffer>; params: UniformArena; staging: GPUBuffer[] } | null = null;

  /**
   * Records `fn`'s GPU work as an ExecutionPlan instead of running it. Tensors `fn` creates get
   * their buffers now (intermediates shared by lifetime) and hold their results after `plan.run()`
   * is read. Inputs are tensors made before capturing: write new data into them between runs.
   */
  capture<T>(fn: () => T): { plan: ExecutionPlan; result: T } {
    this.assertUsable();
    if (this.capturing) throw new GpuError('capture() inside capture()');
    this.submit();
    const params = new UniformArena(this.device, this.device.limits.minUniformBufferOffsetAlignment);
    this.capturing = { commands: [], buffers: new Set(), params, staging: [] };
    const cap = this.capturing;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      params.destroy();
      cap.staging.forEach((b) => b.destroy());
      throw e;
    } finally {
      this.capturing = null;
    }
    params.flush(this.device.queue); // once: the plan's parameters never change
    this.buffers.pin(cap.buffers);
    let bytes = 0;
    for (const b of cap.buffers) if (!cap.staging.includes(b)) bytes += b.size;
    const plan = new ExecutionPlan(this, cap.commands, [...cap.buffers], params, bytes, cap.staging);
    return { plan, result };
  }

  replay(plan: ExecutionPlan): void {
    this.assertUsable();
    if (this.capturing) throw new GpuError('replaying a plan while recording another');
    for (const c of plan.commands) this.encode(c);
  }

  releasePlan(plan: ExecutionPlan): void {
    this.buffers.unpin(plan.buffers);
    // After the submissions that use them (queue order), these can go.
    this.submit();
    plan.params.destroy();
    plan.staging.forEach((b) => b.destroy());
  }

  /** Writes host data into an existing tensor (a plan's input between runs). */
  writeTensor(t: Tensor, data: Float32Array | Int32Array): void {
    if (data.length !== t.size) throw new ShapeError(`writeTensor: ${data.length} values for ${t.label} ${fmtShape(t.shape)}`);
    if ((t.dtype === 'i32') !== data instanceof Int32Array || t.dtype === 'f16') throw new ShapeError(`writeTensor: ${t.label} is ${t.dtype}`);
    this.write(t.buffer, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), t.label);
  }

  // ---- profiling -------------------------------------------------------------------------------

  private profiler: { querySet: GPUQuerySet; labels: string[] } | null = null;

  /**
   * Times every dispatch until `endProfile()` with timestamp queries (needs `timestamp-query`):
   * each dispatch gets its own pass. For finding where time goes, not for headline timings.
   */
  startProfile(): void {
    if (!this.features.timestampQuery) throw new GpuError(`profiling needs the timestamp-query feature, which ${this.info.description} lacks`);
    this.submit();
    this.profiler = { querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * PROFILE_CAPACITY }), labels: [] };
  }

  /** Per kernel label: total GPU milliseconds and dispatch count, sorted by time. */
  async endProfile(): Promise<{ label: string; ms: number; count: number }[]> {
    const p = this.profiler;
    if (!p) throw new GpuError('endProfile() without startProfile()');
    this.endPass();
    const n = p.labels.length;
    const bytes = Math.max(8, 16 * n);
    const resolve = this.device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    if (n > 0) {
      const enc = this.commandEncoder();
      enc.resolveQuerySet(p.querySet, 0, 2 * n, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
    }
    this.profiler = null;
    this.submit();
    await this.waitFor(() => staging.mapAsync(MapMode.READ));
    this.throwPendingErrors();
    const t = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    [staging, resolve].forEach((b) => b.destroy());
    p.querySet.destroy();
    const byLabel = new Map<string, { ms: number; count: number }>();
    for (let i = 0; i < n; i++) {
      const ms = Number(t[2 * i + 1] - t[2 * i]) / 1e6;
      const e = byLabel.get(p.labels[i]) ?? { ms: 0, count: 0 };
      e.ms += ms;
      e.count++;
      byLabel.set(p.labels[i], e);
    }
    return [...byLabel].map(([label, v]) => ({ label, ...v })).sort((a, b) => b.ms - a.ms);
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private assertUsable(): void {
    if (this.destroyed) throw new GpuError('this Gpu was destroyed');
    if (this.lostMessage) throw new GpuError(`the GPU device was lost (${this.lostMessage})`);
  }

  // ---- lifetime ------------------------------------------------------------------------------

  stats(): GpuStats {
    return {
      memory: { ...this.buffers.stats },
      pipelines: { ...this.pipelines.stats },
      dispatches: this.dispatchCount,
      submits: this.submitCount,
      flops: this.flopCount,
    };
  }

  /** Frees every buffer and the device. A Node process can exit once its Gpus are destroyed. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.buffers.destroyAll();
    this.uniforms.destroy();
    this.placeholderBuffer?.destroy();
    this.device.destroy();
  }
}
