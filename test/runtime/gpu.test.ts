import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/dtype.js';
import { linear } from '../../src/ops/index.js';
import { GpuError, ShapeError } from '../../src/runtime/errors.js';
import { bucketSize } from '../../src/backends/webgpu/buffer-pool.js';
import { input, output } from '../../src/backends/webgpu/kernel.js';

const g = useGpu();
// `p` is not declared (the signatures below have no params): the shader does not compile.
const BROKEN_BODY = '@compute @workgroup_size(1) fn main() { store_y(0u, f32(p.x)); }';

describe('GPU runtime', () => {
  it('reports the adapter and its optional features', () => {
    const info = g.gpu.info;
    expect(info.description.length).toBeGreaterThan(0);
    expect(typeof info.features.shaderF16).toBe('boolean');
    // The models need S0's 101 MB token embedding in one binding.
    expect(info.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(49408 * 512 * 4);
  });

  it('round-trips f32, i32 and f16 tensors', async () => {
    const f = randn(1001, 1);
    expect(await g.gpu.upload(f, [7, 11, 13]).read()).toEqual(f);
    const i = Int32Array.from({ length: 77 }, (_, k) => k * 1000 - 5);
    expect(await g.gpu.upload(i, [1, 77]).read()).toEqual(i);
    if (g.gpu.features.shaderF16) {
      const odd = randn(5, 2); // odd count: exercises the 4-byte padding of writeBuffer
      const back = await g.gpu.upload(odd, [5], 'f16').readFloat();
      expect(Array.from(back)).toEqual(Array.from(odd, (v) => f16BitsToF32(f32ToF16Bits(v))));
    }
  });

  it('rounds f32 to f16 to nearest even, with subnormals and overflow', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds up to inf
    expect(f32ToF16Bits(2 ** -24)).toBe(1); // smallest subnormal
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie to even (down)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie to even (up)
    expect(f16BitsToF32(0xc000)).toBe(-2);
  });

  it('records many dispatches into one submission and reads back only when asked', async () => {
    const gpu = g.gpu;
    const before = gpu.stats();
    const x = gpu.upload(randn(4 * 8, 3), [4, 8]);
    const w = gpu.upload(randn(8 * 8, 4), [8, 8]);
    let y = x;
    for (let i = 0; i < 10; i++) y = linear(y, w);
    const mid = gpu.stats();
    expect(mid.submits).toBe(before.submits); // nothing submitted yet
    await y.read();
    const after = gpu.stats();
    expect(after.submits - before.submits).toBe(1);
    expect(after.dispatches - before.dispatches).toBe(10);
  });

  it('does not recompile for a new batch size', async () => {
    const gpu = g.gpu;
    const w = gpu.upload(randn(16 * 32, 5), [16, 32]);
    await linear(gpu.upload(randn(3 * 32, 6), [3, 32]), w).read();
    const compiled = gpu.stats().pipelines.compiled;
    for (const batch of [1, 7, 64]) await linear(gpu.upload(randn(batch * 32, 7), [batch, 32]), w).read();
    expect(gpu.stats().pipelines.compiled).toBe(compiled);
  });

  it('recycles disposed buffers through the pool', () => {
    const gpu = g.gpu;
    const a = gpu.empty([1000], 'f32', 'a');
    a.dispose();
    const created = gpu.stats().memory.created;
    const b = gpu.empty([990], 'f32', 'b'); // same size bucket
    expect(gpu.stats().memory.created).toBe(created);
    b.dispose();
    expect(bucketSize(4000)).toBeGreaterThanOrEqual(4000);
    expect(bucketSize(4000)).toBeLessThanOrEqual(5000);
  });

  it('an upload into a recycled buffer does not overtake recorded work that still uses it', async () => {
    const gpu = g.gpu;
    const a = gpu.upload(Float32Array.from({ length: 64 }, (_, i) => i), [8, 8]);
    const w = gpu.upload(Float32Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 1 : 0)), [8, 8]); // identity
    const y = linear(a, w); // recorded, not submitted: reads a's buffer later
    a.dispose();
    const b = gpu.upload(new Float32Array(64).fill(-1), [8, 8]); // same size bucket: reuses a's buffer
    expect(b.storage).toBe(a.storage);
    expect(Array.from(await y.read())).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(Array.from(await b.read())).toEqual(new Array(64).fill(-1));
  });

  it('names both shapes on a mismatch', () => {
    const gpu = g.gpu;
    const x = gpu.upload(randn(6, 1), [2, 3]);
    const w = gpu.upload(randn(8, 1), [2, 4]);
    expect(() => linear(x, w)).toThrow(ShapeError);
    expect(() => linear(x, w)).toThrow(/\[2, 3\].*\[2, 4\]/);
    const ids = gpu.upload(new Int32Array(6), [2, 3]);
    expect(() => linear(ids, w)).toThrow(/dtype i32, expected f32/);
  });

  it('refuses a tensor used after dispose', () => {
    const t = g.gpu.upload(randn(4, 1), [4]);
    t.dispose();
    expect(() => t.read()).toThrow(/after dispose/);
  });

  it('turns a WebGPU validation error into a thrown error naming the kernel', async () => {
    const gpu = g.gpu;
    const x = gpu.upload(randn(4, 1), [4]);
    const y = gpu.empty([4]);
    // A body using a uniform its signature does not declare makes Dawn raise a validation error.
    gpu.dispatch({ label: 'deliberately_broken', signature: { bindings: { x: input(), y: output() } }, body: BROKEN_BODY, bindings: { x, y }, workgroups: [1] });
    await expect(y.read()).rejects.toThrow(GpuError);
    // The Gpu stays usable after a failed submission.
    expect(await gpu.upload(Float32Array.of(1, 2), [2]).read()).toEqual(Float32Array.of(1, 2));
  });

  it('names the kernel in a validation error', async () => {
    const gpu = g.gpu;
    const y = gpu.empty([4]);
    gpu.dispatch({ label: 'deliberately_broken_2', signature: { bindings: { y: output() } }, body: BROKEN_BODY, bindings: { y }, workgroups: [1] });
    await expect(y.read()).rejects.toThrow(/deliberately_broken_2/);
  });

  it('turns a lost device into an error on the next use', async () => {
    const { createGpu } = await import('../../src/backends/webgpu/node.js');
    const other = await createGpu();
    const t = other.upload(Float32Array.of(1), [1]);
    other.device.destroy(); // lost behind the runtime's back
    await other.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => other.empty([1])).toThrow(/device was lost/);
    await expect(t.read()).rejects.toThrow(GpuError);
    other.destroy();
  });
});
