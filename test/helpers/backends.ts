/**
 * Both backends for one test file: WebGPU (created before the file's tests, destroyed after, as
 * useGpu) and the CPU — the CPU more than once where asked: with the engine's best WebAssembly
 * kernels, with the plain SIMD build where that is relaxed SIMD (engines without it), and with the
 * JavaScript fallback (engines without SIMD). `forEachBackend` runs a suite once per backend, named
 * after it.
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
 * more on the CPU with the JavaScript kernels forced, and once with the plain SIMD kernels where the
 * engine's best is relaxed SIMD.
 */
export function forEachBackend(name: string, suite: (backend: () => Backend, kind: BackendKind) => void, condition = true, cpuFallback = false): void {
  const b = useBackends();
  for (const kind of BACKENDS) {
    describe.runIf(condition)(`${name} on ${kind}${kind === 'cpu' ? ` (${kernelVariant()} kernels)` : ''}`, () => suite(() => b.get(kind), kind));
  }
  if (!cpuFallback) return;
  describe.runIf(condition && kernelVariant() === 'relaxed-simd')(`${name} on cpu (simd kernels)`, () => {
    beforeAll(() => forceKernels('simd'));
    afterAll(() => forceKernels(null));
    suite(() => b.get('cpu'), 'cpu');
  });
  describe.runIf(condition)(`${name} on cpu (javascript kernels)`, () => {
    beforeAll(() => forceKernels('javascript'));
    afterAll(() => forceKernels(null));
    suite(() => b.get('cpu'), 'cpu');
  });
}
