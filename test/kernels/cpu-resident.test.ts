/**
 * Weights' packed panels stay in the CPU kernels' memory between calls (resident.ts): the region's
 * bookkeeping on its own, then through the backend — made once per weight, freed with it, and a
 * new weight in a freed block computes with its own values.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResidentRegion } from '../../src/backends/cpu/resident.js';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { forceKernels, wasmKernels } from '../../src/backends/cpu/wasm-kernels.js';
import { gemm, gemmRef } from '../../src/ops/index.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';

describe('ResidentRegion', () => {
  const region = () => {
    let mem = new Float32Array(0);
    const r = new ResidentRegion((n) => {
      if (mem.length < n) {
        const grown = new Float32Array(n);
        grown.set(mem);
        mem = grown;
      }
      return mem;
    });
    return { r, mem: () => mem };
  };

  it('makes and copies in each (owner, key) once; blocks start on 4 floats', () => {
    const { r, mem } = region();
    const owner = {};
    let made = 0;
    const make = (v: number, n: number) => () => (made++, new Float32Array(n).fill(v));
    const a = r.get(owner, 'A', make(1, 5));
    expect(r.get(owner, 'A', make(9, 5))).toBe(a);
    const b = r.get(owner, 'B', make(2, 3));
    expect(made).toBe(2);
    expect([a, b]).toEqual([0, 8]);
    expect(r.top).toBe(12);
    expect(Array.from(mem().subarray(a, a + 5))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(mem().subarray(b, b + 3))).toEqual([2, 2, 2]);
  });

  it('forget frees an owner\'s blocks: reused best-fit in the middle, given back to the scratch at the top', () => {
    const { r, mem } = region();
    const [o1, o2, o3] = [{}, {}, {}];
    r.get(o1, 'A', () => new Float32Array(16));
    const at2 = r.get(o2, 'A', () => new Float32Array(8));
    r.get(o3, 'A', () => new Float32Array(4));
    expect(r.top).toBe(28);
    r.forget(o2); // a hole of 8 in the middle
    expect(r.top).toBe(28);
    const o4 = {};
    expect(r.get(o4, 'A', () => new Float32Array(8).fill(4))).toBe(at2);
    expect(Array.from(mem().subarray(at2, at2 + 8))).toEqual(new Array(8).fill(4));
    r.forget(o3);
    expect(r.top).toBe(24); // the top block goes back to the scratch
    r.forget(o4);
    r.forget(o1);
    expect(r.top).toBe(0);
    r.forget(o1); // twice: nothing
    expect(r.top).toBe(0);
  });
});

describe('resident weights through the CPU backend', () => {
  // The plain SIMD kernels on their own memory, which holds no tensors: only the panels move scratchAt.
  beforeAll(() => forceKernels('simd'));
  afterAll(() => forceKernels(null));

  it('a kept weight is packed in once, freed with it; the next weight in its block uses its own values', async () => {
    const kernels = wasmKernels();
    if (!kernels || kernels.shared) throw new Error('expected the plain SIMD kernels on a memory of their own');
    const cpu = new CpuBackend();
    const [M, N, K] = [6, 10, 12];
    const x = randn(M * K, 1);
    const xt = cpu.upload(x, [M, K]);
    const run = (w: Float32Array) => {
      const wt = cpu.keep(cpu.upload(w, [N, K]));
      const y = gemm({ a: xt, b: wt, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N] });
      return { wt, y };
    };
    const before = kernels.scratchAt;
    const w1 = randn(N * K, 2);
    const first = run(w1);
    const grown = kernels.scratchAt;
    expect(grown).toBeGreaterThan(before); // w1's panels: 16 columns × 12
    const again = gemm({ a: xt, b: first.wt, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N] });
    expect(kernels.scratchAt).toBe(grown); // not packed again
    const ref1 = gemmRef({ a: x, b: w1, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0 });
    expectClose('first call', await first.y.readFloat(), ref1, { rel: 1e-6 });
    expectClose('second call', await again.readFloat(), ref1, { rel: 1e-6 });
    first.wt.dispose();
    expect(kernels.scratchAt).toBe(before); // freed with the weight
    const w2 = randn(N * K, 3);
    const second = run(w2);
    expectClose('a new weight', await second.y.readFloat(), gemmRef({ a: x, b: w2, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0 }), { rel: 1e-6 });
    second.wt.dispose();
    expect(kernels.scratchAt).toBe(before);
  });
});

describe('tensors in the kernels\' shared memory', () => {
  it('a tensor never disposed gives its block back once collected; one still held keeps block and values', () => {
    const script = fileURLToPath(new URL('./scripts/collect-unreleased.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(got.afterHeld).toBeGreaterThan(got.start);
    expect(got.grown).toBeGreaterThanOrEqual(got.afterHeld + 20 * (1 << 18)); // the dropped tensors' blocks
    expect(got.afterCollect).toBe(got.afterHeld);
    expect(got.heldIntact).toBe(true);
  });
});
