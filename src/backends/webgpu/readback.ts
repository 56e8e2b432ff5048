/**
 * Waiting for the GPU: reading a buffer back and waiting for submitted work, as
 * `gpu.tuning.readbackWait` says ('paced' on software adapters, whose work runs on the CPU cores a
 * spinning wait would take; see paced-wait.ts). Every wait ends by raising the errors the device
 * reported meanwhile.
 */
import type { DeviceHealth } from './device-health.js';
import { GpuError } from '../../runtime/errors.js';
import { pacedWait } from './paced-wait.js';
import type { Recorder } from './recorder.js';
import { BufferUsage, MapMode } from './usage.js';

export class Readback {
  constructor(
    private readonly device: GPUDevice,
    private readonly recorder: Recorder,
    private readonly health: DeviceHealth,
    private readonly mode: () => 'paced' | 'spin',
  ) {}

  /** Awaits a Dawn promise (a map, the queue's work done), then raises pending device errors. */
  async wait<T>(start: () => Promise<T>, what: string): Promise<T> {
    let result: T;
    try {
      result = await (this.mode() === 'paced' ? pacedWait(start) : start());
    } catch (e) {
      this.health.throwPending(this.recorder.lastSubmitted);
      throw new GpuError(`${what} failed: ${(e as Error).message}`);
    }
    this.health.throwPending(this.recorder.lastSubmitted);
    return result;
  }

  /** Submits pending work and copies `bytes` bytes of `src` back. */
  async read(src: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: `read ${label}` });
    try {
      this.recorder.endPass();
      this.recorder.commandEncoder().copyBufferToBuffer(src, 0, staging, 0, size);
      this.recorder.submit();
      await this.wait(() => staging.mapAsync(MapMode.READ), `reading ${label}`);
      const out = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /** Submits pending work and waits until the GPU has finished it. */
  sync(): Promise<void> {
    this.recorder.submit();
    return this.wait(() => this.device.queue.onSubmittedWorkDone(), 'waiting for the GPU');
  }
}
