import { defineConfig } from 'vitest/config';
import { v8Flags } from './bin/v8-flags.mjs';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One GPU (often a CPU rasterizer on 2 cores): files run one at a time so they do not fight for it.
    fileParallelism: false,
    pool: 'forks',
    // Memory checks collect garbage first (globalThis.gc), so they measure what is kept, not GC timing.
    // The CLI's V8 flags too (relaxed SIMD on Node 20), so the CPU kernels tested are the ones it runs.
    execArgv: ['--expose-gc', ...v8Flags()],
    testTimeout: 120_000,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    hookTimeout: 60_000,
    // The suite is WebGPU's unless a test asks for the CPU: 'auto' would take the CPU backend on this
    // 2-core lavapipe machine (src/api/backend-choice.ts). Tests of 'auto' set MOBILECLIP_DEVICE=auto.
    env: { MOBILECLIP_DEVICE: 'webgpu' },
  },
});
