/**
 * Both backends for one test file: WebGPU (created before the file's tests, destroyed after, as
 * useGpu) and the CPU. `forEachBackend` runs a suite once per backend, named after it.
 */
import { describe } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import type { Backend, BackendKind } from '../../src/runtime/backend.js';
import { useGpu } from './gpu.js';

export const BACKENDS: readonly BackendKind[] = ['webgpu', 'cpu'];

export function useBackends(): { get(kind: BackendKind): Backend } {
  const g = useGpu();
  const cpu = new CpuBackend();
  return { get: (kind) => (kind === 'cpu' ? cpu : g.gpu) };
}

/** `suite(backend)` under `describe(`${name} on ${kind}`)` for each backend. */
export function forEachBackend(name: string, suite: (backend: () => Backend, kind: BackendKind) => void, condition = true): void {
  const b = useBackends();
  for (const kind of BACKENDS) describe.runIf(condition)(`${name} on ${kind}`, () => suite(() => b.get(kind), kind));
}
