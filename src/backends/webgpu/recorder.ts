/**
 * The eager command sink: one command encoder and compute pass that every dispatch and copy is
 * recorded into until `submit()`, which sends it all as one command buffer and does not wait. Many
 * dispatches share one pass; while profiling, each gets its own timestamped pass.
 */
import { type CommandSink, stagingBuffer } from './command-sink.js';
import type { PlanCommand } from './plan.js';
import type { Profiler } from './profiler.js';
import type { UniformArena } from './uniform-arena.js';
import { BufferUsage } from './usage.js';

export class Recorder implements CommandSink {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private labels: string[] = [];
  /** Staging buffers of uploads recorded into the open encoder; destroyed once submitted. */
  private staging: GPUBuffer[] = [];
  /** Labels of the dispatches in the last submission (named in the errors it raises). */
  lastSubmitted: readonly string[] = [];
  /** Times each dispatch while set (see profiler.ts). */
  profiler: Profiler | null = null;
  dispatches = 0;
  submits = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly params: UniformArena,
  ) {}

  /** Labels of the dispatches recorded since the last submit. */
  get pending(): readonly string[] {
    return this.labels;
  }

  record(c: PlanCommand): void {
    if (c.kind === 'copy') {
      this.endPass();
      this.commandEncoder().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
      return;
    }
    if (this.profiler) this.endPass(); // one pass per dispatch, timestamped at its ends
    this.pass ??= this.profiler ? this.profiler.beginPass(this.commandEncoder(), c.label) : this.commandEncoder().beginComputePass({ label: 'mobileclip' });
    this.pass.setPipeline(c.pipeline);
    this.pass.setBindGroup(0, c.bindGroup);
    this.pass.dispatchWorkgroups(...c.workgroups);
    this.labels.push(c.label);
    this.dispatches++;
  }

  /**
   * queue.writeBuffer runs before any command buffer not yet submitted, so while commands are
   * being recorded (and a pooled buffer may still be used by them under its previous owner) the
   * data goes through a staging buffer and a copy in the same encoder instead.
   */
  write(dst: GPUBuffer, bytes: Uint8Array, label: string): void {
    if (bytes.byteLength === 0) return;
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
    const staging = stagingBuffer(this.device, bytes, BufferUsage.COPY_SRC, `upload ${label}`);
    this.record({ kind: 'copy', src: staging, srcOffset: 0, dst, dstOffset: 0, size: staging.size });
    this.staging.push(staging);
  }

  /** The open encoder, outside any pass (for copies, query resolves and readbacks). */
  commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'mobileclip' });
    return this.encoder;
  }

  endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits everything recorded so far as one command buffer. Does not wait. */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.params.flush(this.device.queue);
    const cmd = this.encoder.finish({ label: `submission of ${this.labels.length} dispatches` });
    this.encoder = null;
    this.device.queue.submit([cmd]);
    for (const b of this.staging) b.destroy(); // safe once submitted
    this.staging = [];
    this.submits++;
    this.lastSubmitted = this.labels;
    this.labels = [];
  }

  /** Drops what was recorded (the device is going away). */
  discard(): void {
    this.encoder = null;
    this.pass = null;
  }
}
