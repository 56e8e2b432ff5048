import { createGpuFrom, type CreateGpuOptions } from './device.js';
import type { Gpu } from './gpu.js';

/** A Gpu from the browser's `navigator.gpu`. */
export function createGpu(options: CreateGpuOptions = {}): Promise<Gpu> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return createGpuFrom(nav?.gpu, options);
}
