/**
 * The declared kernel interface (src/backends/webgpu/kernel.ts): the WGSL it writes, the uniform it packs by
 * name, the errors for a binding or parameter that does not match, and one kernel run with f32 and
 * f16 storage on the same body.
 */
import { describe, expect, it } from 'vitest';
import { type KernelSignature, input, kernelHeader, output, packParams } from '../../src/backends/webgpu/kernel.js';
import { GpuError } from '../../src/runtime/errors.js';
import { useGpu } from '../helpers/gpu.js';

const sig: KernelSignature = {
  params: { n: 'u32', shift: 'i32', gain: 'f32' },
  bindings: { x: input('vec4<f32>'), idx: input('i32'), y: output() },
};

// y[i] = (x[idx[i]].y + x[1].x) · gain + y[i], for i < n
const body = /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  for (var i = 0u; i < p.n; i++) {
    let v = load_x(u32(load_idx(i))).y + load_x(1u).x;
    store_y(i, v * p.gain + load_y(i) + f32(p.shift));
  }
}`;

describe('kernelHeader', () => {
  it('declares the uniform and the bindings in order, with accessors, f32 storage for f32 tensors', () => {
    const h = kernelHeader('k', sig, { x: 'f32', idx: 'i32', y: 'f32' });
    expect(h).not.toContain('enable f16;');
    expect(h).toContain('struct Params { n: u32, shift: i32, gain: f32 }');
    expect(h).toContain('@group(0) @binding(0) var<uniform> p: Params;');
    expect(h).toContain('@group(0) @binding(1) var<storage, read> x_buf: array<vec4<f32>>;');
    expect(h).toContain('@group(0) @binding(2) var<storage, read> idx_buf: array<i32>;');
    expect(h).toContain('@group(0) @binding(3) var<storage, read_write> y_buf: array<f32>;');
    expect(h).toContain('fn load_x(i: u32) -> vec4<f32> { return vec4<f32>(x_buf[i]); }');
    expect(h).toContain('fn store_y(i: u32, v: f32) { y_buf[i] = f32(v); }');
    expect(h).not.toContain('store_x'); // read-only bindings get no store
  });

  it('stores f16 where the bound tensor is f16, converting in the accessors', () => {
    const h = kernelHeader('k', { ...sig, enable: ['subgroups'] }, { x: 'f16', idx: 'i32', y: 'f16' });
    expect(h.split('\n').slice(0, 2)).toEqual(['enable subgroups;', 'enable f16;']);
    expect(h).toContain('var<storage, read> x_buf: array<vec4<f16>>;');
    expect(h).toContain('fn load_x(i: u32) -> vec4<f32> { return vec4<f32>(x_buf[i]); }');
    expect(h).toContain('fn store_y(i: u32, v: f32) { y_buf[i] = f16(v); }');
    expect(h).toContain('idx_buf: array<i32>');
  });

  it('names the kernel and the binding that does not match', () => {
    expect(() => kernelHeader('k', sig, { x: 'f32', y: 'f32' })).toThrow(/k: binding "idx" was not given a tensor/);
    expect(() => kernelHeader('k', sig, { x: 'f32', idx: 'i32', y: 'f32', extra: 'f32' })).toThrow(/k: was given a binding "extra" it does not declare/);
    expect(() => kernelHeader('k', sig, { x: 'i32', idx: 'i32', y: 'f32' })).toThrow(/k: binding x holds vec4<f32> but was given an i32 tensor/);
    expect(() => kernelHeader('k', sig, { x: 'f32', idx: 'f16', y: 'f32' })).toThrow(/k: binding idx holds i32 but was given an f16 tensor/);
  });
});

describe('packParams', () => {
  it('packs by name in the declared order, padded to 16 bytes', () => {
    const buf = packParams('k', sig, { gain: 0.5, n: 3, shift: -2 });
    const v = new DataView(buf);
    expect(buf.byteLength).toBe(16);
    expect([v.getUint32(0, true), v.getInt32(4, true), v.getFloat32(8, true)]).toEqual([3, -2, 0.5]);
  });

  it('refuses a missing, unknown or out-of-range parameter', () => {
    expect(() => packParams('k', sig, { n: 3, shift: 0 })).toThrow(/k: parameter "gain" was not given/);
    expect(() => packParams('k', sig, { n: 3, shift: 0, gain: 1, eps: 1 })).toThrow(/k: was given a parameter "eps" it does not declare/);
    expect(() => packParams('k', sig, { n: -1, shift: 0, gain: 1 })).toThrow(/n = -1 is not a u32/);
    expect(() => packParams('k', sig, { n: 1, shift: 0.5, gain: 1 })).toThrow(/shift = 0.5 is not an i32/);
  });
});

describe('one body, f32 and f16 storage', () => {
  const g = useGpu();
  const x = Float32Array.from({ length: 12 }, (_, i) => i * 0.25 - 1); // exact in f16
  const idx = Int32Array.of(2, 0, 1);
  const y0 = Float32Array.of(0.5, -1.5, 2);
  // (x[4·idx + 1] + x[4]) · 2 + y0 − 1
  const expected = Float32Array.from(y0, (v, i) => (x[4 * idx[i] + 1] + x[4]) * 2 + v - 1);

  for (const dtype of ['f32', 'f16'] as const) {
    it(`computes the same result with ${dtype} tensors`, async (ctx) => {
      const gpu = g.gpu;
      if (dtype === 'f16' && !gpu.features.shaderF16) return ctx.skip();
      const xt = gpu.upload(x, [3, 4], dtype);
      const yt = gpu.upload(y0, [3], dtype);
      const it32 = gpu.upload(idx, [3]);
      gpu.dispatch({ label: 'interface_test', signature: sig, body, params: { n: 3, shift: -1, gain: 2 }, bindings: { x: xt, idx: it32, y: yt }, workgroups: [1] });
      expect(gpu.pendingKernels.at(-1)).toBe(dtype === 'f16' ? 'interface_test.f16' : 'interface_test');
      expect(Array.from(await yt.read())).toEqual(Array.from(expected));
      [xt, yt, it32].forEach((t) => t.dispose());
    });
  }

  it('rejects a dispatch whose bindings do not match before recording anything', () => {
    const gpu = g.gpu;
    const t = gpu.upload(Float32Array.of(1, 2, 3, 4), [4]);
    const before = gpu.pendingKernels.length;
    expect(() => gpu.dispatch({ label: 'interface_test', signature: sig, body, params: { n: 1, shift: 0, gain: 1 }, bindings: { x: t, idx: t, y: t }, workgroups: [1] })).toThrow(GpuError);
    expect(gpu.pendingKernels.length).toBe(before);
    t.dispose();
  });
});
