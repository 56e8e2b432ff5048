/**
 * The command sink that records a forward as an ExecutionPlan instead of running it: commands are
 * kept, parameters go into the plan's own uniform arena (written once), and host uploads become
 * plan constants (a staging buffer copied in, in order, at every run).
 */
import type { BufferPool } from './buffer-pool.js';
import { type CommandSink, stagingBuffer } from './command-sink.js';
import { ExecutionPlan, type PlanCommand, type PlanHost } from './plan.js';
import { UniformArena } from './uniform-arena.js';
import { BufferUsage } from './usage.js';

export class PlanCapture implements CommandSink {
  readonly params: UniformArena;
  private readonly commands: PlanCommand[] = [];
  private readonly buffers = new Set<GPUBuffer>();
  private readonly staging: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {
    this.params = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
  }

  record(c: PlanCommand): void {
    this.commands.push(c);
    if (c.kind === 'copy') this.buffers.add(c.src).add(c.dst);
    else for (const b of c.buffers) this.buffers.add(b);
  }

  write(dst: GPUBuffer, bytes: Uint8Array, label: string): void {
    if (bytes.byteLength === 0) return;
    const staging = stagingBuffer(this.device, bytes, BufferUsage.COPY_SRC, `plan constant ${label}`);
    this.staging.push(staging);
    this.record({ kind: 'copy', src: staging, srcOffset: 0, dst, dstOffset: 0, size: staging.size });
  }

  /** The plan: its parameters written, its buffers pinned in the pool until it is disposed. */
  finish(host: PlanHost, pool: BufferPool): ExecutionPlan {
    this.params.flush(this.device.queue); // once: the plan's parameters never change
    pool.pin(this.buffers);
    let bytes = 0;
    for (const b of this.buffers) if (!this.staging.includes(b)) bytes += b.size;
    return new ExecutionPlan(host, this.commands, [...this.buffers], this.params, bytes, this.staging);
  }

  /** Frees what the capture made (the function being recorded threw). */
  abort(): void {
    this.params.destroy();
    this.staging.forEach((b) => b.destroy());
  }
}
