/**
 * The weight store hands the CPU backend the arrays it widened (f16, bf16 at load) instead of
 * copying them (Backend.adopt), and still copies what it does not own: an f32 checkpoint's data
 * (a view of the file) and the layers' derived arrays. Values are the same either way.
 */
import { describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { type HostTensor, type StateDict, toFloat32 } from '../../src/io/host-tensor.js';
import { WeightStore } from '../../src/layers/weights.js';
import { toBf16Bits, toF16Bits } from '../../src/runtime/dtype.js';
import { ShapeError } from '../../src/runtime/errors.js';

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const values = Float32Array.from({ length: 35 }, (_, i) => (i - 17) * 0.125);
const stored: Record<string, (v: Float32Array) => Uint8Array> = {
  F32: (v) => bytes(v.slice()),
  F16: (v) => bytes(toF16Bits(v)),
  BF16: (v) => bytes(toBf16Bits(v)),
};

describe('WeightStore on the CPU backend', () => {
  for (const [dtype, store] of Object.entries(stored)) {
    it(`${dtype} weights: values as widened; ${dtype === 'F32' ? 'copied (the file is not the tensor)' : 'adopted, not copied'}`, async () => {
      const cpu = new CpuBackend();
      const t: HostTensor = { dtype: dtype as HostTensor['dtype'], shape: [5, 7], data: store(values) };
      const rows: HostTensor = { dtype: t.dtype, shape: [7, 5], data: store(values) };
      const sd: StateDict = new Map([['w', t], ['table', rows]]);
      const adopt = vi.spyOn(cpu, 'adopt');
      const upload = vi.spyOn(cpu, 'upload');
      const ws = new WeightStore(cpu, sd, 'test');
      const w = ws.take('w', [5, 7]);
      const [table] = ws.takeRows('table', [7, 5]);
      ws.finish();
      expect([adopt.mock.calls.length, upload.mock.calls.length], 'adopted, uploaded').toEqual(dtype === 'F32' ? [0, 2] : [2, 0]);
      expect(Array.from((await cpu.read(w)) as Float32Array)).toEqual(Array.from(toFloat32(t)));
      expect(Array.from((await cpu.read(table)) as Float32Array)).toEqual(Array.from(toFloat32(rows)));
      // A copy lives in its own buffer; an F32 weight must not view the checkpoint's bytes.
      const storage = w.storage as Float32Array;
      if (dtype === 'F32') expect(storage.buffer).not.toBe(t.data.buffer);
      // Adopted or copied, each weight is counted once, at its float32 size.
      expect(cpu.memory.liveBytes).toBe(2 * 35 * 4);
      ws.dispose();
      expect(cpu.memory.liveBytes).toBe(0);
      cpu.destroy();
    });
  }

  it('the store copies derived data it is given (upload), so the caller may reuse its array', async () => {
    const cpu = new CpuBackend();
    const ws = new WeightStore(cpu, new Map(), 'test');
    const data = values.slice();
    const t = ws.upload('derived', data, [35]);
    data.fill(0);
    expect(Array.from((await cpu.read(t)) as Float32Array)).toEqual(Array.from(values));
    ws.dispose();
    cpu.destroy();
  });

  it('adopt refuses data that does not fill the shape, naming the tensor', () => {
    const cpu = new CpuBackend();
    expect(() => cpu.adopt(new Float32Array(6), [2, 4], 'w')).toThrow(ShapeError);
    expect(() => cpu.adopt(new Float32Array(6), [2, 4], 'w')).toThrow(/w: 6 values do not fill shape \[2, 4\]/);
    cpu.destroy();
  });
});
