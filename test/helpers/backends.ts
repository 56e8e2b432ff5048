/**
 * Both backends for one test file: WebGPU (created before the file's tests, destroyed after, as
 * useGpu) and the CPU — the CPU twice where asked: with the engine's WebAssembly SIMD kernels and
 * with its JavaScript fallback (engines without SIMD). `forEachBackend` runs a suite once per
 * backend, named after it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { forceKernels, kernelVariant } from '../../src/backends/cpu/wasm-kernels.js';
import type { Backend, BackendKind } from '../../src/runtime/backend.js';
import { useGpu } from './gpu.js';

export const BACKENDS: readonly BackendKind[] = ['webgpu', 'cpu'];

export function useBackends(): { get(kind: BackendKind): Backend } {
  const g = useGpu();
  const cpu = new CpuBackend();
  return { get: (kind) => (kind === 'cpu' ? cpu : g.gpu) };
}

/**
 * `suite(backend)` under `describe(`${name} on ${kind}`)` for each backend; with `cpuFallback`, once
 * more on the CPU with the JavaScript kernels forced.
 */
export function forEachBackend(name: string, suite: (backend: () => Backend, kind: BackendKind) => void, condition = true, cpuFallback = false): void {
  const b = useBackends();
  for (const kind of BACKENDS) {
    describe.runIf(condition)(`${name} on ${kind}${kind === 'cpu' ? ` (${kernelVariant()} kernels)` : ''}`, () => suite(() => b.get(kind), kind));
  }
  if (!cpuFallback) return;
  describe.runIf(condition)(`${name} on cpu (javascript kernels)`, () => {
    beforeAll(() => forceKernels('javascript'));
    afterAll(() => forceKernels(null));
    suite(() => b.get('cpu'), 'cpu');
  });
}
