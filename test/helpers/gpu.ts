/** One Gpu per test file, created before its tests and destroyed after. No adapter fails the file. */
import { afterAll, beforeAll } from 'vitest';
import { createGpu } from '../../src/backends/webgpu/node.js';
import { describeGpu } from '../../src/backends/webgpu/device.js';
import type { Gpu } from '../../src/backends/webgpu/gpu.js';

let printed = false;

export function useGpu(): { readonly gpu: Gpu } {
  const box: { gpu: Gpu | null } = { gpu: null };
  beforeAll(async () => {
    box.gpu = await createGpu();
    if (!printed) {
      console.log(`adapter: ${describeGpu(box.gpu)}`);
      printed = true;
    }
  });
  afterAll(() => box.gpu?.destroy());
  return {
    get gpu(): Gpu {
      if (!box.gpu) throw new Error('GPU not initialised');
      return box.gpu;
    },
  };
}
