/**
 * Where recorded GPU work goes. The runtime has two sinks: the eager recorder (recorder.ts), which
 * encodes each command into the open command encoder for the next submit, and a plan capture
 * (plan-capture.ts), which keeps the commands to replay them later. `Gpu` records through
 * whichever is active and never asks which one it is.
 */
import type { PlanCommand } from './plan.js';
import type { UniformArena } from './uniform-arena.js';

export interface CommandSink {
  /** Where a dispatch's parameters go: the per-submission arena, or the plan's own. */
  readonly params: UniformArena;
  /** A dispatch or a buffer copy, with the buffers it reads or writes. */
  record(command: PlanCommand): void;
  /** Host bytes into `dst`, in order with the commands recorded so far. */
  write(dst: GPUBuffer, bytes: Uint8Array, label: string): void;
}

/** A COPY_SRC buffer holding `bytes` (padded to 4), ready to copy from. */
export function stagingBuffer(device: GPUDevice, bytes: Uint8Array, usage: number, label: string): GPUBuffer {
  const size = Math.ceil(bytes.byteLength / 4) * 4;
  const staging = device.createBuffer({ size, usage, mappedAtCreation: true, label });
  new Uint8Array(staging.getMappedRange()).set(bytes);
  staging.unmap();
  return staging;
}
