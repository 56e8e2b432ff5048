/**
 * The CPU backend reuses released tensors' memory: JavaScript arrays through its pool (where the
 * kernels' memory does not hold tensors: no SharedArrayBuffer, or the JavaScript or plain SIMD
 * kernels forced) — what comes back is zeroed, never a weight's or an adopted array, bounded by the
 * largest live bytes — and blocks of the kernels' memory where it holds them. Either way an op's
 * output on stale memory is written whole, and a view of a released tensor can no longer be read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { forceKernels, wasmKernels } from '../../src/backends/cpu/wasm-kernels.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { channelAffine, channelAffineRef, conv2d, conv2dRef, gemm, gemmRef, layerNorm, layerNormRef, unary, unaryRef } from '../../src/ops/index.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';

describe('CPU backend array pool (JavaScript arrays)', () => {
  beforeAll(() => forceKernels('javascript'));
  afterAll(() => forceKernels(null));

  it('a released array serves the next tensor of its size and dtype, zeroed', () => {
    const cpu = new CpuBackend();
    const a = cpu.upload(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const arrayOfA = a.storage;
    a.dispose();
    expect(cpu.memory.pooledBytes).toBe(24);
    const i = cpu.empty([6], 'i32');
    expect(i.storage).not.toBe(arrayOfA); // an i32 tensor of six does not take the f32 array
    const b = cpu.empty([3, 2]);
    expect(b.storage).toBe(arrayOfA);
    expect(Array.from(b.storage as Float32Array)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(cpu.memory.pooledBytes).toBe(0);
  });

  it('a kept tensor (a weight) or an adopted array is never handed out again', () => {
    const cpu = new CpuBackend();
    const w = cpu.keep(cpu.upload(new Float32Array(8).fill(7), [8]));
    const mine = new Float32Array(8).fill(9);
    const adopted = cpu.adopt(mine, [8]);
    w.dispose();
    adopted.dispose();
    expect(cpu.memory.pooledBytes).toBe(0);
    const next = cpu.empty([8]);
    expect(next.storage).not.toBe(w.storage);
    expect(next.storage).not.toBe(mine);
    expect(Array.from(mine)).toEqual(new Array(8).fill(9));
  });

  it('holds at most the largest live bytes seen', () => {
    const cpu = new CpuBackend();
    const ts = [cpu.empty([100]), cpu.empty([100])];
    for (const t of ts) t.dispose();
    expect(cpu.memory.pooledBytes).toBe(800); // both were live at once: the bound is 800
    const big = cpu.empty([1000]); // the bound becomes 4000
    big.dispose();
    expect(cpu.memory.pooledBytes).toBe(800); // 800 + 4000 would pass it: dropped
    const small = cpu.empty([100]);
    expect(small.storage).toBe(ts[1].storage); // last in, first out
    cpu.destroy();
    expect(cpu.memory.pooledBytes).toBe(0);
  });

  it('a view of a released tensor throws instead of reading a reused array', () => {
    const cpu = new CpuBackend();
    const t = cpu.upload(new Float32Array(4), [4]);
    const view = t.reshape([2, 2]);
    t.dispose();
    expect(() => view.assertAlive()).toThrow(/used after dispose/);
    expect(() => view.read()).toThrow(/used after dispose/);
  });
});

/** The same array object, or the same offset in the kernels' memory. */
const placeOf = (a: Float32Array): unknown => {
  const at = wasmKernels()?.offsetOf(a) ?? -1;
  return at >= 0 ? at : a;
};

for (const kernels of ['engine', 'simd', 'javascript'] as const) {
  describe(`CPU op outputs on reused memory (${kernels} kernels)`, () => {
    beforeAll(() => forceKernels(kernels === 'engine' ? null : kernels));
    afterAll(() => forceKernels(null));
    it('an op writing into reused memory full of NaNs leaves none of them (outputs taken unzeroed are written whole)', async () => {
      const cpu = new CpuBackend();
      const up = (x: Float32Array, shape: readonly number[]) => cpu.upload(x, shape);
      /** Leaves a released array of `n` NaNs in the pool, then runs the op (its inputs already uploaded): its output gets that array. */
      const onStale = (n: number, op: () => Tensor): Tensor => {
        const stale = cpu.upload(new Float32Array(n).fill(NaN), [n]);
        const where = placeOf(stale.storage as Float32Array);
        stale.dispose();
        const y = op();
        expect(placeOf(y.storage as Float32Array)).toBe(where);
        // Node has SharedArrayBuffer: the engine's kernels hold tensors, the forced ones do not.
        expect(wasmKernels()?.offsetOf(y.storage as Float32Array) ?? -1).toSatisfy((at: number) => (kernels === 'engine' ? at >= 0 : at < 0));
        return y;
      };
      const [M, N, K] = [5, 13, 7];
      const a = randn(M * K, 1), b = randn(N * K, 2), bias = randn(N, 3);
      const [at, bt, biast] = [up(a, [M, K]), up(b, [N, K]), up(bias, [N])];
      const g = onStale(M * N, () => gemm({ a: at, b: bt, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N], bias: biast, act: 'gelu' }));
      expectClose('gemm', await g.readFloat(), gemmRef({ a, b, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, bias, act: 'gelu' }), { rel: 1e-5 });
      const x = randn(2 * 3 * 9 * 7, 4), w = randn(3 * 9, 5);
      const [xt, wt] = [up(x, [2, 3, 9, 7]), up(w, [3, 1, 3, 3])];
      const c = onStale(x.length, () => conv2d(xt, wt, { padding: 1, groups: 3 }));
      expectClose('depthwise', await c.readFloat(), conv2dRef(x, [2, 3, 9, 7], w, [3, 1, 3, 3], { padding: 1, groups: 3 }).out, { rel: 1e-5 });
      const u = onStale(x.length, () => unary(xt, 'gelu'));
      expectClose('unary', await u.readFloat(), unaryRef(x, 'gelu'), { rel: 1e-5, abs: 1e-6 });
      const scale = randn(3, 6), shift = randn(3, 7);
      const [st, sht] = [up(scale, [3]), up(shift, [3])];
      const ca = onStale(x.length, () => channelAffine(xt, st, { shift: sht }));
      expectClose('channelAffine', await ca.readFloat(), channelAffineRef(x, 63, scale, shift), { rel: 1e-5 });
      const lw = randn(7, 8), lb = randn(7, 9);
      const [rows, lwt, lbt] = [xt.reshape([54, 7]), up(lw, [7]), up(lb, [7])];
      const ln = onStale(x.length, () => layerNorm(rows, lwt, lbt));
      expectClose('layerNorm', await ln.readFloat(), layerNormRef(x, 7, lw, lb), { rel: 1e-5 });
    });
  });
}
