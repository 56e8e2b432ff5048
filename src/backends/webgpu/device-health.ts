/**
 * What the device has reported behind the runtime's back: validation errors raised by earlier
 * submissions and device loss. They surface as GpuErrors at the next wait or use.
 */
import { GpuError } from '../../runtime/errors.js';

export class DeviceHealth {
  private errors: string[] = [];
  private lostMessage: string | null = null;
  destroyed = false;

  constructor(device: GPUDevice) {
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.errors.push(ev.error.message);
    };
    void device.lost.then((lost) => {
      if (!this.destroyed) this.lostMessage = `${lost.reason}: ${lost.message}`;
    });
  }

  assertUsable(): void {
    if (this.destroyed) throw new GpuError('this Gpu was destroyed');
    if (this.lostMessage) throw new GpuError(`the GPU device was lost (${this.lostMessage})`);
  }

  /** Throws the errors raised since the last check, naming the kernels of the submission. */
  throwPending(kernels: readonly string[]): void {
    if (this.lostMessage) throw new GpuError(`the GPU device was lost (${this.lostMessage})`);
    if (this.errors.length === 0) return;
    const errs = this.errors;
    this.errors = [];
    throw new GpuError(`WebGPU error in a submission running [${[...new Set(kernels)].join(', ')}]:\n${errs.join('\n')}`);
  }
}
